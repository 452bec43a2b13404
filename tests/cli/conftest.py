"""The CLI over the in-memory fakes: a container whose providers are overridden."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from dependency_injector import providers

from entrypoints.cli.main import cli
from entrypoints.config import Settings, load_settings
from entrypoints.container import Container, container_for, set_container
from tests.builders import season
from tests.fakes import FakeFetcher, FakeQueue, FakeUnitOfWork, FixedClock
from tracker_core.guilds import Guild, GuildMember
from tracker_core.model import ScrapingLog, TrackerSeason, TrackerStatus

USER = "123456789012345678"
OTHER_USER = "223456789012345678"
GUILD = "987654321098765432"


def steam_url(name: str) -> str:
    """A canonical TRN profile URL of a steam player."""
    return f"https://rocketleague.tracker.network/rocket-league/profile/steam/{name}/overview"


Invoke = Callable[..., Result]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-mode settings with their data under the test's own directory."""
    return load_settings({}, data_dir=tmp_path / "var")


def make_container(settings: Settings | None, **overrides: Any) -> Container:
    """A container with the given settings (None: from the environment) and providers."""
    container = container_for(settings)
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
        if name == "queue":  # what one-shot commands queue on, in either mode
            container.command_queue.override(providers.Object(value))
    return container


@pytest.fixture
def fetcher() -> FakeFetcher:
    """What a scrape run by the CLI itself fetches from (never the network)."""
    return FakeFetcher()


class FakeServer:
    """Stands for an embedded ``trackers serve`` on the test's data directory."""

    def __init__(self) -> None:
        self.running = True
        self.pid = 4242
        self.woken = 0

    def server_pid(self, _data_dir: Path) -> int | None:
        return self.pid if self.running else None

    def wake(self, pid: int) -> bool:
        assert pid == self.pid
        self.woken += 1
        return True


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """By default a server runs (it is the one scraping); ``server.running = False`` stops it."""
    from entrypoints.cli import embedded

    fake = FakeServer()
    monkeypatch.setattr(embedded, "server_pid", fake.server_pid)
    monkeypatch.setattr(embedded, "wake_server", fake.wake)
    return fake


@pytest.fixture
def container(
    settings: Settings,
    uow: FakeUnitOfWork,
    queue: FakeQueue,
    clock: FixedClock,
    fetcher: FakeFetcher,
    server: FakeServer,
) -> Iterator[Container]:
    """The process container for the test: fakes for storage, queue, clock and fetcher."""
    built = make_container(settings, uow=uow, queue=queue, clock=clock, fetcher=fetcher)
    set_container(built)
    yield built
    set_container(None)


@pytest.fixture
def run(container: Container) -> Invoke:
    """Invoke ``trackers <args>``; unexpected exceptions propagate to the test.

    The output does not depend on the terminal running the tests: ``COLUMNS`` and ``LINES`` are
    removed, so tables are printed at the piped width, unless a test asks for a width with
    ``columns=``.
    """

    def invoke(*args: str, columns: int | None = None) -> Result:
        width = None if columns is None else str(columns)
        runner = CliRunner(env={"COLUMNS": width, "LINES": None})
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def out_json(result: Result) -> Any:
    """The JSON a successful ``--json`` command printed."""
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def register_one(run: Invoke, name: str = "alice", user: str = USER) -> str:
    """Register one steam tracker for ``user`` through the CLI; its id."""
    data = out_json(run("register", "--user", user, steam_url(name), "--json"))
    tracker_id: str = data[0]["id"]
    return tracker_id


def add_season(uow: FakeUnitOfWork, clock: FixedClock, tracker_id: str, number: int = 34) -> None:
    """Store a scraped season (and mark the tracker COMPLETED) directly in the fake store."""
    stats = season(number, ones=(1100, 60), twos=(1500, 120), threes=(1400, 80))
    now = clock.now()
    uow.committed.seasons[(tracker_id, number)] = TrackerSeason(
        id=f"cseason{number:018d}",
        tracker_id=tracker_id,
        stats=stats,
        scraped_at=now,
        created_at=now,
        updated_at=now,
    )
    tracker = uow.committed.trackers[tracker_id]
    tracker.scraping_status = TrackerStatus.COMPLETED
    tracker.last_scraped_at = now


def add_guild(uow: FakeUnitOfWork, clock: FixedClock, *members: str) -> None:
    """A guild with the given members."""
    now = clock.now()
    uow.committed.guilds[GUILD] = Guild(id=GUILD, name="League", created_at=now, updated_at=now)
    for member in members:
        uow.committed.members[(GUILD, member)] = GuildMember(guild_id=GUILD, user_id=member)


def add_log(uow: FakeUnitOfWork, clock: FixedClock, tracker_id: str, status: str) -> None:
    """One scraping log entry."""
    now = clock.now()
    uow.committed.scraping_logs.append(
        ScrapingLog(
            id=f"clog{len(uow.committed.scraping_logs):021d}",
            tracker_id=tracker_id,
            status=status,  # type: ignore[arg-type]
            seasons_scraped=4 if status == "SUCCESS" else 0,
            seasons_failed=0,
            error_message=None if status == "SUCCESS" else "tracker.gg answered 503",
            error_category=None if status == "SUCCESS" else "upstream",
            started_at=now,
            completed_at=now + timedelta(seconds=2),
            metadata={"durationMs": 2000, "attempt": 1},
        )
    )
