"""The dependencies as installed: every one declared in pyproject.toml is pinned in the lock files
at a version its range admits, with hashes; the floors sit above releases with known flaws; and
the container installs from the lock in production mode."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", re.MULTILINE)

# The first release that mends a published flaw in a dependency the service runs on.
MENDED = {
    "starlette": "0.49.1",  # denial of service through Range headers and multipart forms
    "python-multipart": "0.0.18",  # denial of service through a malformed form boundary
    "jinja2": "3.1.6",  # sandbox escapes through format and attr
    "cryptography": "44.0.1",  # the OpenSSL bundled in its wheels
}


def pins(lock: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


def declared(extra: str | None) -> list[Requirement]:
    lines = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("lock", "extra"), [("run.txt", None), ("dev.txt", None), ("dev.txt", "dev")]
)
def test_every_declared_dependency_is_pinned_within_its_range(lock: str, extra: str | None) -> None:
    pinned = pins(lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in requirements/{lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} in requirements/{lock} is outside {requirement.specifier}"
        )


def test_the_development_lock_pins_what_running_needs_at_the_same_versions() -> None:
    running, developing = pins("run.txt"), pins("dev.txt")
    assert {name: developing.get(name) for name in running} == running


@pytest.mark.parametrize("lock", ["run.txt", "dev.txt"])
def test_every_pin_carries_a_hash(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text())
    pinned = [block for block in blocks if PIN.match(block)]
    assert pinned
    assert all("--hash=sha256:" in block for block in pinned)


@pytest.mark.parametrize(("name", "mended"), sorted(MENDED.items()))
def test_floors_exclude_releases_with_known_flaws(name: str, mended: str) -> None:
    requirement = next(r for r in declared(None) if canonicalize_name(r.name) == name)
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert floors, f"{name} has no floor"
    assert max(floors) >= Version(mended)
    assert pins("run.txt")[name] >= Version(mended)


def test_the_container_runs_in_production_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^\s*TOREKES_ENVIRONMENT=production\b", dockerfile, re.MULTILINE)
    installs = re.findall(r"^RUN pip install (.+)$", dockerfile, re.MULTILINE)
    assert installs == ["--require-hashes -r requirements/run.txt", "--no-deps ."]
