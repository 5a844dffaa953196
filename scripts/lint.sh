#!/usr/bin/env bash
# Static checks, a few seconds each: ruff (style, imports, likely bugs), mypy --strict on the
# packages, and import-linter's layer contracts (pyproject.toml says what each one is).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check --quiet .
.venv/bin/mypy --no-error-summary
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
echo "lint: ruff, mypy --strict and the layer contracts are clean"
