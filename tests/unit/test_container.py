"""The composition root: each mode's container wires that mode's adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.queue.inline_queue import InProcessJobQueue
from adapters.queue.reconciler_queue import ReconcilerQueue
from adapters.queue.rq_queue import RqJobQueue
from adapters.throttle import MemoryThrottle, RedisThrottle
from entrypoints.config import ConfigError, load_settings
from entrypoints.container import (
    container_for,
    is_embedded,
    is_production,
    require_production,
)

# Nothing listens on port 1: building the adapters must not connect.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_embedded_container_runs_everything_in_process(tmp_path: Path) -> None:
    container = container_for(load_settings({}, data_dir=tmp_path))
    assert is_embedded(container) and not is_production(container)
    assert isinstance(container.queue(), InProcessJobQueue)
    assert isinstance(container.command_queue(), ReconcilerQueue)
    assert isinstance(container.throttle(), MemoryThrottle)
    assert container.use_cases().queue is container.queue()
    assert container.command_use_cases().queue is container.command_queue()
    with pytest.raises(ConfigError, match="REDIS_URL"):
        require_production(container, "`trackers worker`")


def test_production_container_shares_redis_between_processes(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path, redis_url=UNREACHABLE_REDIS)
    container = container_for(settings)
    assert is_production(container) and not is_embedded(container)
    assert require_production(container, "`trackers worker`") is container
    queue = container.queue()
    assert isinstance(queue, RqJobQueue)
    assert container.command_queue() is queue
    assert container.scraper().release == queue.release
    assert isinstance(container.throttle(), RedisThrottle)
    assert container.command_use_cases().queue is queue


def test_overriding_a_provider_reaches_the_use_cases(tmp_path: Path) -> None:
    container = container_for(load_settings({}, data_dir=tmp_path))
    replacement = ReconcilerQueue(container.uow)
    container.queue.override(providers.Object(replacement))
    assert container.use_cases().queue is replacement


def test_both_budgets_count_in_the_configured_window(tmp_path: Path) -> None:
    compressed = {"TRN_RATE_LIMIT_PER_MINUTE": "20", "TRN_RATE_WINDOW_SECONDS": "10"}
    embedded = container_for(load_settings(compressed, data_dir=tmp_path))
    production = container_for(
        load_settings(compressed, data_dir=tmp_path, redis_url=UNREACHABLE_REDIS)
    )
    for container in (embedded, production):
        assert container.budget().interval == pytest.approx(10.25 / 20)
    assert container_for(load_settings({}, data_dir=tmp_path)).budget().interval == (
        pytest.approx(60.25 / 60)
    )


def test_a_429_lowers_the_rate_except_in_the_sandbox(tmp_path: Path) -> None:
    limit = {"TRN_RATE_LIMIT_PER_MINUTE": "60"}
    for redis_url in (None, UNREACHABLE_REDIS):
        normal = container_for(load_settings(limit, data_dir=tmp_path, redis_url=redis_url))
        assert normal.budget().control.lowest == 1.0
        sandbox = container_for(
            load_settings(
                {**limit, "TRACKERS_SANDBOX": "1"}, data_dir=tmp_path, redis_url=redis_url
            )
        )
        # The sandbox's staged 429 pauses the budget but never lowers the demo's pace.
        assert sandbox.budget().control.lowest == 60.0
