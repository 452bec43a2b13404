"""The one composition root: every entrypoint gets its dependencies from here."""

from __future__ import annotations

import logging
import random
from typing import Any

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.locks import InProcessTickLock, RedisTickLock
from adapters.notify.discord import DiscordDmNotifier
from adapters.notify.log import LogNotifier
from adapters.notify.router import ChannelRouter
from adapters.notify.webhook import WebhookNotifier
from adapters.queue.inline_queue import InProcessJobQueue
from adapters.queue.rq_queue import RqJobQueue
from adapters.sql.engine import create_engine_for, create_session_factory
from adapters.sql.unit_of_work import SqlAlchemyUnitOfWork
from adapters.trackergg.budget import InProcessBudget, RedisBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from entrypoints.config import Settings, load_settings


def _mode(settings: Settings) -> str:
    return "embedded" if settings.embedded else "production"


def _redis(settings: Settings) -> Any:
    import redis

    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set")
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    # Few, short retries: a Redis outage must turn into a quick 503, not a hanging request.
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=5,
        socket_timeout=30,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
    )


def _dm_notifier(settings: Settings) -> DiscordDmNotifier | None:
    if not settings.discord_bot_token:
        return None
    return DiscordDmNotifier(settings.discord_bot_token, api_url=settings.discord_api_url)


def _inline_handler(tracker_id: str) -> None:
    from entrypoints.jobs import scrape_tracker

    scrape_tracker(tracker_id)


class Container(containers.DeclarativeContainer):
    """Providers of settings, storage, queue, fetcher, notifier and clock."""

    settings = providers.Singleton(load_settings)
    mode = providers.Callable(_mode, settings)
    policy = providers.Singleton(lambda s: s.policy(), settings)
    clock = providers.Singleton(SystemClock)
    rng = providers.Singleton(random.Random)

    engine = providers.Singleton(lambda s: create_engine_for(s.database_url), settings)
    session_factory = providers.Singleton(create_session_factory, engine)
    uow = providers.Factory(SqlAlchemyUnitOfWork, session_factory)

    redis = providers.Singleton(_redis, settings)

    budget = providers.Selector(
        mode,
        embedded=providers.Singleton(
            lambda s: InProcessBudget(s.trn_rate_limit_per_minute), settings
        ),
        production=providers.Singleton(
            lambda r, s: RedisBudget(
                r, s.trn_rate_limit_per_minute, key=f"{s.queue_name}:trn-budget"
            ),
            redis,
            settings,
        ),
    )
    fetcher = providers.Singleton(
        lambda s, b: TrackerGgFetcher(
            s.trn_api_base_url,
            flaresolverr_url=s.flaresolverr_url,
            timeout_seconds=s.trn_timeout_seconds,
            budget=b,
            budget_wait_seconds=s.tracker_lease_seconds / 2,
            max_retry_after_seconds=s.trn_max_retry_after_seconds,
        ),
        settings,
        budget,
    )
    queue = providers.Selector(
        mode,
        embedded=providers.Singleton(
            lambda s: InProcessJobQueue(_inline_handler, workers=s.inline_workers), settings
        ),
        production=providers.Singleton(
            lambda r, s: RqJobQueue(
                r,
                queue_name=s.queue_name,
                job_timeout=s.tracker_lease_seconds,
                # a dead worker must be known dead well within a lease
                worker_ttl=min(30.0, s.tracker_lease_seconds / 2),
            ),
            redis,
            settings,
        ),
    )
    tick_lock = providers.Selector(
        mode,
        embedded=providers.Singleton(InProcessTickLock),
        production=providers.Singleton(RedisTickLock, redis),
    )
    notifier = providers.Singleton(
        lambda s: ChannelRouter(
            dm=_dm_notifier(s),
            webhook=WebhookNotifier(),
            log=LogNotifier(logging.getLogger("trackers.notifications")),
        ),
        settings,
    )


_container: Container | None = None


def get_container() -> Container:
    """The process's container, built on first use (never at import)."""
    global _container
    if _container is None:
        _container = Container()
    return _container


def set_container(container: Container | None) -> None:
    """Install a (test or sandbox) container for this process."""
    global _container
    _container = container
