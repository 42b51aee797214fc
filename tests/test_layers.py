"""The house rule on imports: api → service → database, never upwards, and no cycles in the database layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "backend"

# (modules under this prefix, prefixes they must never import)
RULES = [
    ("backend.database", ("backend.service", "backend.api", "backend.cli")),
    ("backend.service", ("backend.api", "backend.cli")),
    ("backend.database.documents", ("backend.database.database", "backend.database.crud")),
    ("backend.database.routing", ("backend.database.",)),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, prefix: str) -> bool:
    """``prefix`` ending in '.' means anything below it; otherwise the module itself or below it."""
    if prefix.endswith("."):
        return module.startswith(prefix)
    return module == prefix or module.startswith(prefix + ".")


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts}


@pytest.mark.parametrize(("prefix", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_imports_only_go_down(prefix: str, forbidden: tuple[str, ...]) -> None:
    offenders = [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if name == prefix or name.startswith(prefix + ".")
        for imported in sorted(_imports(path))
        if any(_within(imported, f) for f in forbidden)
    ]
    assert offenders == []


def test_the_rule_table_sees_the_modules() -> None:
    assert "backend.database.routing" in MODULES
    assert "backend.database.documents.local" in MODULES
