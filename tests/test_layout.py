"""The house rules of issue 14 for the whole package, not one folder at a time: every function
reads in one sitting (at most 80 lines without its docstring), the packages split by concept
keep every module under 500 lines, and no module reaches into another's private helpers (a
helper two modules share has a public name in an internal module; importing a private
*module* of one's own package, such as ``engines._sql``, is fine). The packages' own layout
tests check what is particular to each (names where they were, re-exporting ``__init__``)."""

import ast
from pathlib import Path

import retention_kit

ROOT = Path(retention_kit.__file__).parent
MODULES = sorted(ROOT.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _code_lines(node) -> int:
    first = node.body[0]
    doc = (first.end_lineno - first.lineno + 1
           if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
           and isinstance(first.value.value, str) else 0)
    return node.end_lineno - node.lineno + 1 - doc


def _target(path: Path, node: ast.ImportFrom) -> Path | None:
    """The folder a relative ``from ... import`` reads from (None for absolute imports)."""
    if not node.level:
        return None
    base = path.parent
    for _ in range(node.level - 1):
        base = base.parent
    for part in (node.module or "").split(".") if node.module else []:
        base = base / part
    return base


def test_the_package_has_its_modules():
    assert len(MODULES) > 100  # the walk below sees the package, not an empty folder


def test_no_function_is_over_80_lines():
    long = [f"{path.relative_to(ROOT)}:{node.name} ({_code_lines(node)} lines)"
            for path in MODULES for node in ast.walk(_tree(path))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > 80]
    assert not long, long


#: The packages split by concept in issue 14, and the module size that still reads in one sitting.
SPLIT = ("checks", "cohorts", "compare", "course", "experiments", "report")
MAX_MODULE_LINES = 500


def test_modules_of_the_split_packages_read_in_one_sitting():
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for name in SPLIT for path in (ROOT / name).glob("*.py")}
    assert len(sizes) > 50
    long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not long, long


def test_no_private_helper_is_imported_across_modules():
    found = []
    for path in MODULES:
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.ImportFrom):
                continue
            folder = _target(path, node)
            for alias in node.names:
                name = alias.name
                if not name.startswith("_") or name.startswith("__"):
                    continue
                is_module = folder is not None and ((folder / f"{name}.py").exists() or (folder / name).is_dir())
                if not is_module:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not found, found


def test_the_rules_catch_what_they_are_for(tmp_path):
    """The checks above find a long function and a private import when there is one."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("def _helper():\n    pass\n")
    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    (pkg / "b.py").write_text(f"from .a import _helper\n\n\ndef long():\n    '''Doc.'''\n{body}\n")
    tree = _tree(pkg / "b.py")
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    folder = _target(pkg / "b.py", imports[0])
    assert folder == pkg / "a" and not (folder / "_helper.py").exists()  # a name, not a module: flagged
    assert [_code_lines(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)] == [82]
