"""The scheduler loop: schedules, periodic refresh, reconciliation and notification delivery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from croniter import croniter

from entrypoints.container import Container
from entrypoints.shared_metrics import process_metrics
from tracker_core.errors import TrackerError
from tracker_core.model import Priority

log = logging.getLogger("trackers.scheduler")

CRON_GRACE = timedelta(minutes=10)


def latest_cron_instant(expression: str, now: datetime) -> datetime:
    """The most recent instant of the (UTC) cron expression at or before ``now``."""
    itr = croniter(expression, now + timedelta(seconds=1))
    previous: datetime = itr.get_prev(datetime)
    return previous


class SchedulerLoop:
    """One scheduler's periodic tasks; safe to run in any number of processes at once."""

    def __init__(self, container: Container, *, tick_seconds: float = 2.0) -> None:
        self.c = container
        self.tick_seconds = tick_seconds
        self._last_reconcile = float("-inf")

    def run_schedules(self) -> None:
        runs = self.c.use_cases().run_due_schedules()
        for run in runs:
            log.info(
                "schedule %s finished %s %s", run.schedule_id, run.status, run.result or run.error
            )

    def run_reconcile(self) -> None:
        result = self.c.use_cases().reconcile()
        if result.expired or result.requeued:
            log.info(
                "reconciled: %d expired lease(s), %d re-queued",
                len(result.expired),
                result.requeued,
            )

    def run_cron(self) -> None:
        now = self.c.clock().now()
        instant = latest_cron_instant(self.c.settings().tracker_refresh_cron, now)
        if now - instant > CRON_GRACE:
            return
        if not self.c.tick_lock().claim("periodic-refresh", instant):
            return
        result = self.c.use_cases().refresh_stale(priority=Priority.LOW)
        log.info("periodic refresh at %s queued %d tracker(s)", instant, result.processed)

    def run_dispatch(self) -> None:
        result = self.c.use_cases().dispatch_notifications()
        if result.sent or result.failed:
            log.info(
                "notifications: %d sent, %d retried, %d failed",
                result.sent,
                result.retried,
                result.failed,
            )

    def tick(self) -> None:
        """One pass over every periodic task; one task's failure does not stop the others."""
        tasks: list[tuple[str, Callable[[], None]]] = [
            ("schedules", self.run_schedules),
            ("cron", self.run_cron),
            ("notifications", self.run_dispatch),
        ]
        if time.monotonic() - self._last_reconcile >= self.c.settings().reconcile_seconds:
            tasks.insert(0, ("reconcile", self.run_reconcile))
            self._last_reconcile = time.monotonic()
        for name, task in tasks:
            try:
                task()
            except TrackerError as exc:
                log.warning("scheduler task %s failed: %s", name, exc)
            except Exception:
                log.exception("scheduler task %s crashed", name)
        process_metrics().scheduler_ticks.inc()

    def run(self, stop_event: threading.Event) -> None:
        """Tick until ``stop_event`` is set (reconciling at start)."""
        log.info("scheduler started")
        while not stop_event.is_set():
            started = time.monotonic()
            self.tick()
            stop_event.wait(max(0.0, self.tick_seconds - (time.monotonic() - started)))
        log.info("scheduler stopped")


def run_scheduler(container: Container, *, stop_event: threading.Event | None = None) -> None:
    """Run the scheduler loop in this thread until stopped (SIGINT/SIGTERM in the CLI)."""
    SchedulerLoop(container).run(stop_event or threading.Event())
