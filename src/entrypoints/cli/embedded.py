"""Embedded mode: work a CLI command queued starts at once (docs/decisions.md, "CLI wake-up").

A one-shot command cannot reach the server's in-process queue, so it leaves its trackers
PENDING in the database. Then, instead of waiting for the server's next reconcile tick:

- a ``trackers serve`` runs on this data directory (it holds ``serve.lock``): the command
  sends it ``SIGUSR1`` and the server reconciles, so the scrapes start within a second;
- none runs: the command scrapes the trackers itself, with the same scrape job the server
  would run (claims are compare-and-set, so a server starting meanwhile cannot double them).

In production mode the jobs are in Redis already and this does nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from time import monotonic, sleep

from entrypoints.cli.output import note, progress_bar
from entrypoints.cli.services import OPERATOR, Services
from entrypoints.cli.wait import wait_for_trackers
from entrypoints.runtime.wakeup import server_pid, wake_server
from tracker_core.errors import NotFoundError
from tracker_core.model import TrackerStatus


def start_queued(
    svc: Services, tracker_ids: Sequence[str], *, wait: bool, timeout: float
) -> dict[str, int] | None:
    """Get the queued trackers scraped now; with ``wait``, how many ended in each status.

    Raises:
        CliError: with ``wait``, the timeout ran out or a tracker ended FAILED.
    """
    ids = list(dict.fromkeys(tracker_ids))
    started = monotonic()
    if ids and svc.settings.embedded:
        _start_embedded(svc, ids, started + timeout if wait else None)
    if not wait:
        return None
    return wait_for_trackers(svc, ids, timeout, spent=monotonic() - started)


def _start_embedded(svc: Services, ids: list[str], deadline: float | None) -> None:
    pid = server_pid(svc.settings.data_dir)
    if pid is not None and wake_server(pid):
        note(f"Woke the running `trackers serve` (pid {pid}): it starts the scrape(s) now.")
        return
    note("No `trackers serve` runs on this data directory: scraping here.")
    ended = scrape_here(svc, ids, deadline)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(ended.items()))
    note(f"Scraped here: {summary}.")


@contextlib.contextmanager
def _fetch_source(svc: Services) -> Iterator[None]:
    """Point the fetcher at the built-in simulator when the settings ask for the sandbox."""
    if not svc.settings.sandbox:
        yield
        return
    import attrs
    from dependency_injector import providers

    from adapters.trackergg.simulator import TrnSimulator

    simulator = TrnSimulator().start()
    try:
        changed = attrs.evolve(
            svc.settings, trn_api_base_url=simulator.base_url, flaresolverr_url=None
        )
        with svc.container.settings.override(providers.Object(changed)):
            yield
    finally:
        simulator.stop()


def _state(svc: Services, tracker_id: str) -> tuple[str, float | None]:
    """The tracker's status, and in how many seconds its retry is due (None: no retry)."""
    try:
        view = svc.use_cases.get_tracker_status(OPERATOR, tracker_id)
    except NotFoundError:
        return "DELETED", None
    if view.status != TrackerStatus.PENDING or view.next_attempt_at is None:
        return str(view.status), None
    now = svc.container.clock().now()
    return str(view.status), max(0.0, (view.next_attempt_at - now).total_seconds())


def scrape_here(svc: Services, ids: Sequence[str], deadline: float | None) -> dict[str, int]:
    """Run each tracker's scrape job in this process; how many ended in each status.

    A retryable failure leaves the tracker PENDING with its next attempt; with a ``deadline``
    (``--wait``) the attempt is made here when it falls before the deadline, else the next
    ``trackers serve`` (or command) makes it.
    """
    ended: dict[str, int] = {}
    with _fetch_source(svc), progress_bar("Scraping") as progress:
        scraper = svc.container.scraper()
        task = progress.add_task("scrape", total=len(ids))
        attempts = svc.container.policy().max_scraping_attempts
        for tracker_id in ids:
            for _ in range(attempts):  # the job itself turns the last attempt into FAILED
                scraper(tracker_id)
                status, retry_in = _state(svc, tracker_id)
                if retry_in is None or deadline is None or monotonic() + retry_in > deadline:
                    break
                sleep(retry_in)
            ended[status] = ended.get(status, 0) + 1
            progress.advance(task)
    return ended
