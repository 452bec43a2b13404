"""The composition root: one declarative container per mode, sharing a base.

:class:`EmbeddedContainer` (no REDIS_URL) runs the queue on threads of the serving process;
:class:`ProductionContainer` puts it in Redis/RQ. Everything that differs between the two is
decided here, so no caller asks an adapter what it is: the worker and the background loop
receive the container of their mode, a scrape job gets a :class:`Scraper` that already knows
how to release its claim, and one-shot commands get ``command_queue``.

Every provider is built from a typed factory function or class (no lambdas), so
``container.uow()`` is a ``UnitOfWork`` to mypy. Use cases are bound once:
``container.use_cases().register_trackers(cmd)`` (``command_use_cases`` for one-shot commands).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, TypeGuard

import attrs
import redis
from dependency_injector import containers, providers
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from sqlalchemy.engine import Engine

from adapters.clock import SystemClock
from adapters.locks import InProcessTickLock, RedisTickLock
from adapters.notify.discord import DiscordDmNotifier
from adapters.notify.log import LogNotifier
from adapters.notify.router import ChannelRouter
from adapters.notify.webhook import WebhookNotifier
from adapters.queue.inline_queue import InProcessJobQueue
from adapters.queue.reconciler_queue import ReconcilerQueue
from adapters.queue.rq_queue import RqJobQueue
from adapters.sql.engine import create_engine_for, create_session_factory
from adapters.sql.ping import ThreadPing, UnitOfWorkPing, database_ping
from adapters.sql.status_counts import StatusCountsCache
from adapters.sql.unit_of_work import SqlAlchemyUnitOfWork
from adapters.throttle import MemoryThrottle, RedisThrottle
from adapters.trackergg.budget import (
    BudgetUnavailableError,
    InProcessBudget,
    RateBudget,
    RedisBudget,
)
from adapters.trackergg.fetcher import TrackerGgFetcher
from entrypoints.config import ConfigError, Settings, load_settings
from entrypoints.shared_metrics import process_metrics
from entrypoints.use_cases import UseCases
from tracker_core.errors import QueueUnavailableError
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, Notifier, ProfileFetcher, UnitOfWork
from tracker_core.source import RateControl
from tracker_core.use_cases.scraping import run_scrape

log = logging.getLogger("trackers.jobs")


@attrs.frozen
class Scraper:
    """Runs one scrape job, then releases the tracker's queue claim (a no-op when embedded).

    A retryable failure leaves the tracker PENDING with ``nextAttemptAt``; the reconciler
    queues it for that instant (a job cannot re-queue itself while it is still running).
    """

    uow: Callable[[], UnitOfWork]
    fetcher: ProfileFetcher
    clock: Clock
    policy: Policy
    rng: random.Random
    release: Callable[[str], None]

    def __call__(self, tracker_id: str) -> str:
        """Scrape ``tracker_id``; the outcome (``SUCCESS``, ``FAILED``, …)."""
        try:
            outcome = run_scrape(
                tracker_id,
                uow=self.uow(),
                fetcher=self.fetcher,
                clock=self.clock,
                policy=self.policy,
                rng=self.rng,
            )
        finally:
            try:
                self.release(tracker_id)
            except (
                QueueUnavailableError
            ) as exc:  # Redis went away: the claim marker expires by itself
                log.warning("scrape %s: queue claim not released (%s)", tracker_id, exc)
        process_metrics().scrapes.labels(outcome.result).inc()
        log.info("scrape %s: %s %s", tracker_id, outcome.result, outcome.error_category or "")
        return outcome.result


def _policy(settings: Settings) -> Policy:
    return settings.policy()


def _engine(settings: Settings) -> Engine:
    return create_engine_for(settings.database_url)


def _database_ping(
    settings: Settings, engine: Callable[[], Engine], uow: Callable[[], UnitOfWork]
) -> ThreadPing | UnitOfWorkPing:
    return database_ping(settings.database_url, engine, uow)


def _notifier(settings: Settings) -> Notifier:
    dm = (
        DiscordDmNotifier(settings.discord_bot_token, api_url=settings.discord_api_url)
        if settings.discord_bot_token
        else None
    )
    return ChannelRouter(
        dm=dm,
        webhook=WebhookNotifier(),
        log=LogNotifier(logging.getLogger("trackers.notifications")),
    )


def _fetcher(settings: Settings, budget: RateBudget) -> ProfileFetcher:
    return TrackerGgFetcher(
        settings.trn_api_base_url,
        flaresolverr_url=settings.flaresolverr_url,
        timeout_seconds=settings.trn_timeout_seconds,
        budget=budget,
        budget_wait_seconds=settings.tracker_lease_seconds / 2,
        max_retry_after_seconds=settings.trn_max_retry_after_seconds,
    )


def _nothing_to_release(_tracker_id: str) -> None:
    """The in-process queue forgets a job when it ends; there is no claim to release."""


def _rate_control(settings: Settings) -> RateControl:
    """AIMD around the configured limit. In the sandbox the simulator's 429 is staged for one
    demo profile (it says nothing about the rate), so it pauses the budget but never lowers the
    rate: the demo's other scrapes keep their pace."""
    limit = settings.trn_rate_limit_per_minute
    return RateControl(limit, floor=limit) if settings.sandbox else RateControl(limit)


def _in_process_budget(settings: Settings) -> InProcessBudget:
    return InProcessBudget(
        settings.trn_rate_limit_per_minute,
        window_seconds=settings.trn_rate_window_seconds,
        control=_rate_control(settings),
    )


def _in_process_queue(scraper: Scraper, settings: Settings) -> InProcessJobQueue:
    return InProcessJobQueue(scraper, workers=settings.inline_workers)


def _same_queue(queue: RqJobQueue) -> JobQueue:
    return queue


def _redis(settings: Settings) -> redis.Redis:
    if settings.redis_url is None:
        raise ConfigError("REDIS_URL is not set")
    # Few, short retries: a Redis outage must turn into a quick 503, not a hanging request.
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=5,
        socket_timeout=30,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
    )


def _memory_throttle(settings: Settings) -> MemoryThrottle:
    return MemoryThrottle(settings.throttle_limit, settings.throttle_ttl_ms)


def _redis_throttle(connection: redis.Redis, settings: Settings) -> RedisThrottle:
    return RedisThrottle(connection, settings.throttle_limit, settings.throttle_ttl_ms)


def _redis_budget(connection: redis.Redis, settings: Settings) -> RedisBudget:
    return RedisBudget(
        connection,
        settings.trn_rate_limit_per_minute,
        key=f"{settings.queue_name}:trn-budget",
        window_seconds=settings.trn_rate_window_seconds,
        control=_rate_control(settings),
    )


def _rq_queue(connection: redis.Redis, settings: Settings) -> RqJobQueue:
    return RqJobQueue(
        connection,
        queue_name=settings.queue_name,
        job_timeout=settings.tracker_lease_seconds,
        # a dead worker must be known dead well within a lease
        worker_ttl=min(30.0, settings.tracker_lease_seconds / 2),
    )


class BaseContainer(containers.DeclarativeContainer):
    """What both modes share: settings, storage, clock, randomness and the notifier."""

    settings = providers.Singleton(load_settings)
    policy = providers.Singleton(_policy, settings)
    clock: providers.Provider[Clock] = providers.Singleton(SystemClock)
    rng = providers.Singleton(random.Random)

    engine = providers.Singleton(_engine, settings)
    session_factory = providers.Singleton(create_session_factory, engine)
    status_counts = providers.Singleton(StatusCountsCache)
    uow: providers.Provider[UnitOfWork] = providers.Factory(
        SqlAlchemyUnitOfWork, session_factory, status_counts
    )
    database_ping = providers.Singleton(_database_ping, settings, engine.provider, uow.provider)
    """The health check's ``SELECT 1`` (PostgreSQL: on a connection per thread)."""

    notifier = providers.Singleton(_notifier, settings)


def _bound_use_cases(queue: providers.Provider[Any]) -> providers.Singleton[UseCases]:
    """The use cases bound to the shared providers and to ``queue`` (a mode's own; any
    ``JobQueue``: dependency-injector's providers are invariant in what they provide)."""
    return providers.Singleton(
        UseCases,
        uow=BaseContainer.uow.provider,
        queue=queue,
        clock=BaseContainer.clock,
        policy=BaseContainer.policy,
        notifier=BaseContainer.notifier,
        rng=BaseContainer.rng,
    )


class EmbeddedContainer(BaseContainer):
    """One process: the queue's workers are threads of ``trackers serve`` (SQLite by default)."""

    budget = providers.Singleton(_in_process_budget, BaseContainer.settings)
    fetcher = providers.Singleton(_fetcher, BaseContainer.settings, budget)
    scraper = providers.Singleton(
        Scraper,
        uow=BaseContainer.uow.provider,
        fetcher=fetcher,
        clock=BaseContainer.clock,
        policy=BaseContainer.policy,
        rng=BaseContainer.rng,
        release=providers.Object(_nothing_to_release),
    )
    queue: providers.Provider[InProcessJobQueue] = providers.Singleton(
        _in_process_queue, scraper, BaseContainer.settings
    )
    command_queue: providers.Provider[JobQueue] = providers.Singleton(
        ReconcilerQueue, BaseContainer.uow.provider
    )
    """One-shot commands leave trackers PENDING for the serving process's reconciler."""
    tick_lock = providers.Singleton(InProcessTickLock)
    throttle = providers.Singleton(_memory_throttle, BaseContainer.settings)
    use_cases = _bound_use_cases(queue)
    command_use_cases = _bound_use_cases(command_queue)
    """The use cases of one-shot commands: their queue is ``command_queue``."""


class ProductionContainer(BaseContainer):
    """Separate processes sharing PostgreSQL and Redis: RQ workers, schedulers, gunicorn."""

    redis = providers.Singleton(_redis, BaseContainer.settings)
    budget = providers.Singleton(_redis_budget, redis, BaseContainer.settings)
    fetcher = providers.Singleton(_fetcher, BaseContainer.settings, budget)
    queue: providers.Provider[RqJobQueue] = providers.Singleton(
        _rq_queue, redis, BaseContainer.settings
    )
    command_queue = providers.Callable(_same_queue, queue)
    """Commands queue jobs in Redis directly."""
    scraper = providers.Singleton(
        Scraper,
        uow=BaseContainer.uow.provider,
        fetcher=fetcher,
        clock=BaseContainer.clock,
        policy=BaseContainer.policy,
        rng=BaseContainer.rng,
        release=queue.provided.release,
    )
    tick_lock = providers.Singleton(RedisTickLock, redis)
    throttle = providers.Singleton(_redis_throttle, redis, BaseContainer.settings)
    use_cases = _bound_use_cases(queue)
    command_use_cases = _bound_use_cases(command_queue)


Container = EmbeddedContainer | ProductionContainer
"""The container of either mode (what HTTP views and CLI commands are written against)."""


def eta_rate(container: Container) -> int:
    """The requests per budget window (a minute unless ``TRN_RATE_WINDOW_SECONDS`` says
    otherwise) that the drain estimate divides by: the budget's effective rate, which 429s
    lower below ``TRN_RATE_LIMIT_PER_MINUTE`` for a while, or the configured limit when the
    budget cannot say (Redis away)."""
    limit = container.settings().trn_rate_limit_per_minute
    try:
        rate = container.budget().effective_rate()
    except BudgetUnavailableError as exc:
        log.warning("ETA at the configured limit: %s", exc)
        return limit
    return max(1, min(limit, int(rate)))


def container_for(settings: Settings | None = None) -> Container:
    """A container of the mode the settings ask for (None: the environment's settings).

    Raises:
        ConfigError: a malformed setting (named).
    """
    resolved = settings if settings is not None else load_settings()
    container: Container = EmbeddedContainer() if resolved.embedded else ProductionContainer()
    container.settings.override(providers.Object(resolved))
    return container


def is_embedded(container: Container) -> TypeGuard[EmbeddedContainer]:
    """Whether ``container`` is of the embedded mode (workers run inside ``trackers serve``)."""
    return getattr(container, "declarative_parent", None) is EmbeddedContainer


def is_production(container: Container) -> TypeGuard[ProductionContainer]:
    """Whether ``container`` is of the production mode (Redis, separate processes)."""
    return getattr(container, "declarative_parent", None) is ProductionContainer


def require_production(container: Container, what: str) -> ProductionContainer:
    """``container`` as the production container it must be for ``what``.

    Raises:
        ConfigError: ``container`` is of the embedded mode.
    """
    if is_production(container):
        return container
    raise ConfigError(
        f"{what} needs REDIS_URL (production mode); in the embedded mode "
        "`trackers serve` runs the workers and the scheduler in-process"
    )


_container: Container | None = None


def get_container() -> Container:
    """The process's container, built on first use (never at import)."""
    global _container
    if _container is None:
        _container = container_for()
    return _container


def set_container(container: Container | None) -> None:
    """Install a (test or sandbox) container for this process."""
    global _container
    _container = container
