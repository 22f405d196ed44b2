"""The package's shape: imports flow one way (web -> domain -> rules -> models), no
module imports itself back through another, and no module or view grows past what a
reader can hold. Read from the source with the ast module, without importing it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rumours"

# What each part of the package may import, besides its own modules. Everything not
# listed is refused; in particular nothing imports a blueprint, a form or the web
# plumbing except the blueprints and the factory.
ALLOWED = {
    "rumours.cli": {"seeding", "services", "reports", "summaries", "rules", "models", "extensions"},
    "rumours.blueprints": {
        "forms",
        "web",
        "services",
        "reports",
        "exports",
        "charts",
        "permissions",
        "rules",
        "models",
        "extensions",
    },
    "rumours.forms": {"rules", "models", "extensions"},
    "rumours.web": {"charts", "permissions", "rules", "models", "extensions"},
    # Roles and who may see what: the server-side checks views and templates share.
    "rumours.permissions": {"rules", "models", "extensions"},
    "rumours.seeding": {"services", "summaries", "rules", "models", "extensions"},
    # A write may read (services -> reports); a read never writes.
    # A write keeps the summary tables in step in its own transaction.
    "rumours.services": {"reports", "summaries", "rules", "models", "extensions"},
    "rumours.reports": {"exports", "summaries", "charts", "rules", "models", "extensions"},
    # Rows in, files out: exports never touch the session.
    "rumours.exports": {"rules", "models"},
    "rumours.charts": {"rules"},
    "rumours.summaries": {"rules", "models", "extensions"},
    "rumours.rules": {"models", "extensions"},
    "rumours.models": {"extensions"},
    "rumours.extensions": set(),
}
MAX_MODULE_LINES = 420
# The layout keeps the typed model in one file (queries that aggregate live in reports).
LONG_MODULES_ALLOWED = {"rumours.models"}
MAX_VIEW_LINES = 45


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Every rumours module `name` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module or ""
            # "from . import x" names a module when x is one, else a name in `root`.
            submodules = [f"{root}.{alias.name}" for alias in node.names]
            targets = [t for t in submodules if t in known] or [root]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imported_modules(name, path, known) for name, path in mods.items()}


def part_of(name: str) -> str | None:
    """The entry of ALLOWED a module belongs to (rumours.services.trainings -> services)."""
    for part in sorted(ALLOWED, key=len, reverse=True):
        if name == part or name.startswith(part + "."):
            return part
    return None


def test_every_module_belongs_to_a_part():
    loose = [n for n in modules() if n != "rumours" and part_of(n) is None]
    assert loose == [], f"place these modules in a part of ALLOWED: {loose}"


def test_imports_flow_one_way():
    upward = []
    for name, targets in graph().items():
        part = part_of(name)
        if part is None:  # the factory wires everything
            continue
        for target in targets:
            other = part_of(target)
            if other is None or other == part:
                if target == "rumours":
                    upward.append(f"{name} -> {target}")
                continue
            if other.removeprefix("rumours.") not in ALLOWED[part]:
                upward.append(f"{name} -> {target}")
    assert upward == [], "imports against the layering:\n" + "\n".join(sorted(upward))


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            # A package's __init__ re-exporting its own modules is not a cycle of layers.
            if node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", sorted(set(modules()) - LONG_MODULES_ALLOWED))
def test_module_stays_small(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines: split it by area"


def test_views_stay_thin():
    long_views = []
    for path in (PACKAGE / "blueprints").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in {"get", "post", "route"}
                for d in node.decorator_list
            ):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_VIEW_LINES:
                    long_views.append(f"{module_name(path)}.{node.name}: {length} lines")
    assert long_views == [], "views to thin out:\n" + "\n".join(long_views)
