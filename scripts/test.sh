#!/usr/bin/env bash
# All the tests: the static checks (scripts/lint.sh: ruff, mypy --strict, the layer contracts),
# the VS Code extension (type-check, unit tests, the .vsix), then Python (unit, integration with
# Icarus and the local model, LSP end to end with pytest-lsp and a real Neovim, and the .vsix in a
# real VS Code: code-server in Chromium, which scripts/setup_vscode.sh installs into .e2e/ the
# first time, within 15 minutes).
#
#   scripts/test.sh --fast [PYTEST ARGS]   the static checks and the suites that take seconds
#                                          (about a minute on 2 cores): no editor, model, Ray,
#                                          hostile round or whole-dataset sweep (tests/conftest.py
#                                          lists what is left out)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/lint.sh
if [ "${1:-}" = "--fast" ]; then
    shift
    exec .venv/bin/python -m pytest -q -m "not slow" -n 2 "$@"  # two workers: the fast suites are parallel-safe
fi
timeout 900 scripts/setup_vscode.sh
(cd vscode-client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent ci)
.venv/bin/python -m pytest -q "$@"
