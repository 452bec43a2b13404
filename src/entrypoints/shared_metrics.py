"""Prometheus metrics that stay true across processes.

Under gunicorn each API worker is its own process; ``trackers worker`` and ``trackers
scheduler`` are others. With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client's multiprocess
mode keeps every process's counters in files of that directory and ``/metrics`` (whichever
gunicorn worker answers) sums them, so the answer does not depend on the worker that replies.
Workers and schedulers on the same host that get the same directory are counted there too.

Without the directory (the embedded mode: one process), each value lives in memory and
``/metrics`` shows the app's metrics plus the in-process workers' and scheduler's.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import attrs
from prometheus_client import CollectorRegistry, Counter, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The shared directory of this process, or None (single-process values)."""
    raw = os.environ.get(MULTIPROC_ENV, "").strip()
    return Path(raw) if raw else None


def prepare_multiprocess_dir(path: Path) -> Path:
    """Create ``path``, delete the files of earlier runs and switch this process (and the
    processes it forks afterwards) to multiprocess values. Called by ``trackers serve`` before
    gunicorn forks its workers; metrics created before the call keep in-memory values."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    # What prometheus-client does at import when the variable is already set.
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    return path


def process_exited(pid: int) -> None:
    """gunicorn's ``child_exit`` hook: drop the live gauges of a worker that is gone."""
    if multiprocess_dir() is not None:
        mark_process_dead(pid)  # type: ignore[no-untyped-call]


@attrs.frozen
class ProcessMetrics:
    """What the queue workers and the scheduler count, whichever process runs them."""

    registry: CollectorRegistry
    scrapes: Counter
    scheduler_ticks: Counter


@functools.cache
def process_metrics() -> ProcessMetrics:
    """The metrics of this process's workers and scheduler (created on first use, after any
    switch to multiprocess values)."""
    registry = CollectorRegistry()
    return ProcessMetrics(
        registry=registry,
        scrapes=Counter(
            "tracker_scrapes", "Scrape jobs run, by result", ["result"], registry=registry
        ),
        scheduler_ticks=Counter(
            "scheduler_ticks", "Scheduler loop ticks completed", registry=registry
        ),
    )


def exposition(app_registry: CollectorRegistry) -> bytes:
    """The text exposition of every process's counters (multiprocess mode) or of this app's
    and this process's (single process)."""
    directory = multiprocess_dir()
    if directory is not None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(app_registry) + generate_latest(process_metrics().registry)
