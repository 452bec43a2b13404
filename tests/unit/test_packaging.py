"""tracker_core needs only attrs and cattrs; the layer packages are this project's own; the
lock pins every declared dependency within its range."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def test_tracker_core_imports_with_only_attrs_and_cattrs(tmp_path: Path) -> None:
    for name in ("attr", "attrs", "cattrs", "typing_extensions"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, tmp_path / name)
        else:
            shutil.copy(origin, tmp_path / origin.name)
    shutil.copytree(ROOT / "src" / "tracker_core", tmp_path / "tracker_core")
    code = (
        "import sys, tracker_core, tracker_core.use_cases.trackers, "
        "tracker_core.use_cases.scraping, tracker_core.use_cases.schedules;"
        "bad = {'sqlalchemy', 'httpx', 'rq', 'redis', 'flask', 'dependency_injector'} "
        "& set(sys.modules); assert not bad, bad;"
        "print(tracker_core.parse_tracker_url("
        "'https://tracker.gg/rocket-league/profile/epic/x').canonical_url)"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path[:0] = [{str(tmp_path)!r}]; {code}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("/epic/x/overview")


def test_layer_packages_resolve_to_this_project() -> None:
    for name in ("tracker_core", "adapters", "entrypoints"):
        assert _package_dir(name) == ROOT / "src" / name


def _locked_versions() -> dict[str, tuple[Version, int]]:
    """requirements/lock.txt: normalized name → (pinned version, number of hashes)."""
    locked: dict[str, tuple[Version, int]] = {}
    name = ""
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line[:1].isalnum():
            requirement = Requirement(line.rstrip(" \\"))
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            name = canonicalize_name(requirement.name)
            locked[name] = (Version(spec.version), 0)
        elif line.strip().startswith("--hash=sha256:"):
            version, hashes = locked[name]
            locked[name] = (version, hashes + 1)
    return locked


def test_lock_pins_every_dependency_within_the_pyproject_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked_versions()
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for text in declared:
        requirement = Requirement(text)
        assert requirement.specifier, f"{text}: pyproject keeps a range for library users"
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/lock.txt: run the lock command"
        version, _ = locked[name]
        assert version in requirement.specifier, f"lock has {name}=={version}, pyproject {text}"
    unhashed = [name for name, (_, hashes) in locked.items() if hashes == 0]
    assert not unhashed, f"entries without hashes: {unhashed}"
