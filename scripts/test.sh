#!/usr/bin/env bash
# All the tests: Python (unit, integration with Icarus and the local model, LSP end to end with
# pytest-lsp and a real Neovim), then the VS Code extension (type-check, unit tests, .vsix).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q "$@"
(cd vscode-client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent ci)
