"""Imports go one way by folder: oracle <- engine <- {anvil, lsp_server}. The two adapters do
not import each other (except the command line starting the server), and nothing imports
another package's private names."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("oracle", "engine", "anvil", "lsp_server")
#: what each package may import of the others
ALLOWED = {"oracle": set(), "engine": {"oracle"}, "anvil": {"oracle", "engine"}, "lsp_server": {"oracle", "engine"}}
EXCEPTIONS = {("anvil/cli.py", "lsp_server")}  # `anvil serve` starts the language server


def imports(path: Path):
    """(package, module, names) for every absolute import of one of our packages in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.module, tuple(a.name for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value.split(".")[0], arg.value, ()


FILES = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_one_way(path):
    own = path.relative_to(ROOT).parts[0]
    rel = str(path.relative_to(ROOT))
    for package, module, names in imports(path):
        if package not in PACKAGES or package == own:
            continue
        assert package in ALLOWED[own] or (rel, package) in EXCEPTIONS, f"{rel} imports {module}"
        private = [n for n in (*names, *module.split(".")) if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{rel} imports private {module}: {private}"


def test_subcommands_do_not_import_the_command_line():
    for path in sorted((ROOT / "anvil").glob("*.py")):
        if path.name in ("cli.py", "__main__.py"):
            continue
        modules = {m for _, m, _ in imports(path)}
        relative = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)
                    and n.level == 1 and n.module == "cli"]
        assert "anvil.cli" not in modules and not relative, f"{path.name} imports the command line"
