"""scripts/check_test_count.py fails when the parallel run lost or repeated a test."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_test_count.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_test_count", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _junit(*names: str) -> str:
    cases = "".join(f'<testcase classname="tests.m" name="{n}"/>' for n in names)
    return f'<testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'


def _run(tmp_path: Path, collected: str, junit: str) -> int:
    (tmp_path / "c.txt").write_text(collected)
    (tmp_path / "j.xml").write_text(junit)
    code: int = _script().main(["x", str(tmp_path / "c.txt"), str(tmp_path / "j.xml")])
    return code


def test_equal_counts_pass(tmp_path: Path) -> None:
    assert _run(tmp_path, "a\nb\n\n2 tests collected in 0.1s\n", _junit("a", "b")) == 0


def test_a_lost_or_repeated_test_fails(tmp_path: Path) -> None:
    assert _run(tmp_path, "3 tests collected in 0.1s\n", _junit("a", "b")) == 1
    assert _run(tmp_path, "2 tests collected in 0.1s\n", _junit("a", "a")) == 1
