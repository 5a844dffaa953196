"""Imports go one way: {anvil, lsp_server} -> sweeps -> engine -> oracle, and layered inside each
package (the contracts in pyproject.toml, checked by import-linter). No import cycle between modules,
lazy imports inside functions included; scripts/ does not import tests/; no module is over 500 lines;
nothing imports another package's private names."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("oracle", "engine", "sweeps", "anvil", "lsp_server")
MAX_LINES = 500


def imports(path: Path):
    """(package, module, names) for every import of one of our packages in ``path``, anywhere in
    the file (lazy imports too); relative imports are resolved against the file's package."""
    tree = ast.parse(path.read_text(), str(path))
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from (also for __init__.py)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            elif node.module:
                module = node.module
            else:
                continue
            yield module.split(".")[0], module, tuple(a.name for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value.split(".")[0], arg.value, ()


FILES = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (a ``from pkg import name`` of a submodule counts as
    importing that submodule)."""
    modules = {module_of(p): p for p in FILES}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for package, module, names in imports(path):
            if package not in PACKAGES:
                continue
            targets = {f"{module}.{n}" for n in names if f"{module}.{n}" in modules} or {module}
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    return edges


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_import_cycle_lazy_imports_included():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_across_packages_and_no_module_over_500_lines(path):
    rel = str(path.relative_to(ROOT))
    own = rel.split("/")[0]
    for package, module, names in imports(path):
        if package not in PACKAGES or package == own:
            continue
        private = [n for n in (*names, *module.split(".")) if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{rel} imports private {module}: {private}"
    assert len(path.read_text().splitlines()) <= MAX_LINES, f"{rel} is over {MAX_LINES} lines"


def test_scripts_do_not_import_tests():
    for path in sorted((ROOT / "scripts").rglob("*.py")):
        for package, module, _ in imports(path):
            assert package != "tests", f"{path.relative_to(ROOT)} imports {module}"


def test_subcommands_do_not_import_the_command_line():
    for path in sorted((ROOT / "anvil").glob("*.py")):
        if path.name in ("cli.py", "__main__.py"):
            continue
        modules = {m for _, m, _ in imports(path)}
        assert "anvil.cli" not in modules, f"{path.name} imports the command line"
