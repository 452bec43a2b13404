"""Metrics across processes: every process's counters are summed from the shared directory,
a dead worker's live gauges are dropped, and the tracker counts are cached."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, values

from entrypoints.http.metrics import CachedOverview
from entrypoints.shared_metrics import (
    MULTIPROC_ENV,
    exposition,
    prepare_multiprocess_dir,
    process_exited,
    process_metrics,
)
from tracker_core.use_cases.queries import ScrapingOverview


def _count_scrapes(directory: str, result: str, times: int) -> None:
    """A worker process: its own multiprocess values in the shared directory."""
    os.environ[MULTIPROC_ENV] = directory
    values.ValueClass = values.MultiProcessValue()
    for _ in range(times):
        process_metrics().scrapes.labels(result).inc()
    process_metrics().scheduler_ticks.inc()


def test_counters_of_every_process_are_summed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "prom"
    shared.mkdir()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_count_scrapes, args=(str(shared), "COMPLETED", n)) for n in (2, 3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    monkeypatch.setenv(MULTIPROC_ENV, str(shared))
    text = exposition(CollectorRegistry()).decode()
    assert 'tracker_scrapes_total{result="COMPLETED"} 5.0' in text
    assert "scheduler_ticks_total 2.0" in text


def test_serve_cleans_the_directory_and_a_dead_worker_loses_its_live_gauge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "prom"
    shared.mkdir()
    (shared / "counter_1.db").write_bytes(b"stale")
    monkeypatch.setenv(MULTIPROC_ENV, str(shared))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    prepare_multiprocess_dir(shared)
    assert not (shared / "counter_1.db").exists()
    registry = CollectorRegistry()
    Gauge("busy", "live gauge", registry=registry, multiprocess_mode="livesum").set(1)
    live = list(shared.glob("gauge_livesum_*.db"))
    assert len(live) == 1
    process_exited(int(live[0].stem.rsplit("_", 1)[1]))
    assert list(shared.glob("gauge_livesum_*.db")) == []


def test_the_overview_is_read_once_per_ttl() -> None:
    now = [0.0]
    cache = CachedOverview(15, clock=lambda: now[0])
    reads: list[int] = []

    def read() -> ScrapingOverview:
        reads.append(1)
        return ScrapingOverview(total=len(reads), by_status={}, queue_depth=0, eta_minutes=0.0)

    assert cache.get(read).total == 1
    now[0] = 14.9
    assert cache.get(read).total == 1
    now[0] = 15.0
    assert cache.get(read).total == 2
    assert cache.reads == 2
