"""Imports run one way (docs/architecture.md): a wrong-way import fails here.

Services, queries and every other module of a feature import only packages ranked
below their own; views, API resources and forms (the edges) may read any feature;
models may be imported from anywhere. `domain` imports nothing else of Aftercare;
`core` and `api` (plumbing) import no feature.
No module imports an Aftercare module inside a function (the way to dodge a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aftercare"

# Lower ranks first; packages of one rank do not import each other.
ORDER: list[tuple[str, ...]] = [
    ("domain",),
    ("core", "api"),
    ("audit",),
    ("auth",),
    ("suppliers",),
    ("firms",),
    ("notifications",),
    ("ledger",),
    ("assets",),
    ("tickets",),
    ("meisters",),
    ("choices",),  # the choosers' fields and endpoints: forms of every feature use them
    ("claims",),
    ("payouts",),
    ("recovery",),
    ("approvals",),
    ("reports",),
    ("jobs", "admin"),
    ("cli",),
]
RANK = {name: rank for rank, names in enumerate(ORDER) for name in names}
EDGES = ("views", "api", "forms")  # module names (or their endings) that may read anything
ROOT_MODULES = {"__init__", "extensions", "db", "models"}
# Loaded where they are used, not at every web worker's start (tests/functional/
# test_startup.py): they bring openpyxl, or fpdf and Pillow, which cost half a second.
HEAVY = {
    "aftercare.core.spreadsheets",
    "aftercare.assets.labels",
    "aftercare.reports.settlement_pdf",
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "translations" not in p.parts)


def _name(path: Path) -> str:
    return ".".join(("aftercare", *path.relative_to(PACKAGE).with_suffix("").parts))


def _imports(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """(imported aftercare module, line, inside a function) for every import."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for alias in child.names:
                    found.append((f"{child.module}.{alias.name}", child.lineno, in_function))
            elif isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, in_function) for a in child.names)
            visit(child, inner)

    visit(tree, False)
    return [(name, line, inner) for name, line, inner in found if name.startswith("aftercare.")]


def _feature(module: str) -> str | None:
    """The ranked package a dotted name lies in (None: the package root)."""
    name = module.split(".")[1]
    return name if name in RANK else None


def _is_edge(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return any(last == edge or last.endswith(f"_{edge}") for edge in EDGES)


def _is_models(module: str) -> bool:
    part = module.split(".")[2:3]
    return bool(part) and (part[0] == "models" or part[0].endswith("_model"))


def wrong_way_imports(path: Path) -> list[str]:
    module = _name(path)
    own = _feature(module)
    problems = []
    for imported, line, in_function in _imports(ast.parse(path.read_text())):
        where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
        if in_function and imported not in HEAVY:
            problems.append(f"{where} inside a function")
            continue
        target = _feature(imported)
        if own is None or target is None or target == own:
            continue
        if _is_models(imported) or _is_edge(module):
            continue
        if RANK[target] >= RANK[own]:
            problems.append(f"{where} ({own} is not above {target})")
    return problems


def test_every_package_has_a_rank():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages - {"translations"} <= set(RANK)


def test_the_package_root_holds_no_loose_modules():
    loose = {p.stem for p in PACKAGE.glob("*.py")} - ROOT_MODULES
    assert loose == set()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path):
    assert wrong_way_imports(path) == []


def test_the_check_catches_a_wrong_way_import(tmp_path: Path, monkeypatch):
    fake = tmp_path / "aftercare"
    (fake / "ledger").mkdir(parents=True)
    service = fake / "ledger" / "services.py"
    service.write_text("from aftercare.claims.services import approve_claim\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", fake)
    assert wrong_way_imports(service) == [
        "aftercare/ledger/services.py:1 imports aftercare.claims.services.approve_claim"
        " (ledger is not above claims)"
    ]


def test_the_check_catches_an_import_inside_a_function(tmp_path: Path, monkeypatch):
    fake = tmp_path / "aftercare"
    (fake / "claims").mkdir(parents=True)
    service = fake / "claims" / "services.py"
    service.write_text("def f():\n    from aftercare.ledger import services\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", fake)
    assert wrong_way_imports(service) == [
        "aftercare/claims/services.py:2 imports aftercare.ledger.services inside a function"
    ]
