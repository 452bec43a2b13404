"""tracker_core needs only attrs and cattrs; the layer packages are this project's own."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

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
