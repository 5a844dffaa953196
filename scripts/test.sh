#!/usr/bin/env bash
# All the tests: the VS Code extension (type-check, unit tests, the .vsix), then Python (unit,
# integration with Icarus and the local model, LSP end to end with pytest-lsp and a real Neovim,
# and the .vsix in a real VS Code: code-server in Chromium, which scripts/setup_vscode.sh installs
# into .e2e/ the first time, within 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 900 scripts/setup_vscode.sh
(cd vscode-client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent ci)
.venv/bin/python -m pytest -q "$@"
