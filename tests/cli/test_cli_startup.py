"""Lazy start-up: ``trackers --help`` imports no command module, and its summaries are true."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from entrypoints.cli.main import COMMANDS
from tests.cli.conftest import Invoke

HEAVY = ("sqlalchemy", "redis", "rich", "flask", "dependency_injector", "tracker_core", "adapters")

PROBE = """
import json, sys
from entrypoints.cli.main import cli
try:
    cli(["--help"], prog_name="trackers")
except SystemExit as exc:
    assert exc.code == 0, exc.code
loaded = sorted({m.split(".")[0] for m in sys.modules})
commands = sorted(m for m in sys.modules if m.startswith("entrypoints.cli.") and
                  m not in ("entrypoints.cli.main", "entrypoints.cli.output"))
print(json.dumps({"loaded": loaded, "commands": commands}), file=sys.stderr)
"""


def test_root_help_imports_no_command_and_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Commands:" in done.stdout
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["commands"] == []
    assert not set(HEAVY) & set(found["loaded"])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_summary_is_the_commands_own_first_line(name: str) -> None:
    command = COMMANDS[name].load()
    assert command.name == name
    assert COMMANDS[name].summary == command.get_short_help_str(limit=1000)


def test_command_help_still_loads_its_module(run: Invoke) -> None:
    result = run("guild", "settings", "set", "--help")
    assert result.exit_code == 0
    assert "SECTION.KEY=VALUE" in result.stdout


def test_unknown_command_is_a_usage_error(run: Invoke) -> None:
    result = run("nope")
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.stderr


def test_shell_completion_of_lazy_commands(container: object) -> None:
    from click.testing import CliRunner

    from entrypoints.cli.main import cli

    runner = CliRunner()
    env = {
        "_TRACKERS_COMPLETE": "bash_complete",
        "COMP_WORDS": "trackers guild se",
        "COMP_CWORD": "2",
    }
    result = runner.invoke(cli, [], env=env, prog_name="trackers")
    assert result.stdout.splitlines() == ["plain,settings"]
    source = runner.invoke(cli, [], env={"_TRACKERS_COMPLETE": "bash_source"}, prog_name="trackers")
    assert "_trackers_completion()" in source.stdout
