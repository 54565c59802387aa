"""The domain layer is pure Python: no web, database or validation framework in its imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import torekes.domain

DOMAIN_DIR = Path(torekes.domain.__file__).parent
DOMAIN_FILES = sorted(DOMAIN_DIR.rglob("*.py"))
FORBIDDEN = {"fastapi", "sqlalchemy", "pydantic", "pydantic_settings", "starlette", "alembic"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file; relative ones stay in domain."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "torekes.domain"))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def test_the_domain_has_modules() -> None:
    names = {path.name for path in DOMAIN_FILES}
    assert {"entries.py", "accounts.py", "hashing.py", "access.py", "errors.py"} <= names


def test_the_scanner_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom sqlalchemy.orm import Session\nif True:\n    import fastapi\n"
    )
    assert [name for _, name in imported_modules(sample)] == ["os", "sqlalchemy.orm", "fastapi"]


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_imports_no_framework(path: Path) -> None:
    offending = [
        f"{path.name}:{line} imports {name}"
        for line, name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert not offending, offending


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_imports_no_higher_layer(path: Path) -> None:
    offending = [
        f"{path.name}:{line} imports {name}"
        for line, name in imported_modules(path)
        if name.split(".")[0] == "torekes" and not name.startswith("torekes.domain")
    ]
    assert not offending, offending
