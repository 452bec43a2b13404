"""Configuration from the environment (SPEC §9), validated once at start."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
from croniter import croniter

from tracker_core.policy import Policy

DEFAULT_TRN_API = "https://api.tracker.gg/api/v2/rocket-league/standard/profile"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@attrs.frozen(kw_only=True)
class Settings:
    """Every setting of the service, with the spec's defaults."""

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    jwt_public_key: str | None = None
    jwt_private_key: str | None = attrs.field(default=None, repr=False)
    bot_api_key: str | None = attrs.field(default=None, repr=False)
    system_admin_user_ids: frozenset[str] = frozenset()
    trn_api_base_url: str = DEFAULT_TRN_API
    flaresolverr_url: str | None = None
    trn_rate_limit_per_minute: int = 60
    trn_rate_window_seconds: float = 60
    trn_timeout_seconds: float = 30
    trn_max_retry_after_seconds: int = 900
    tracker_max_per_user: int = 4
    tracker_initial_seasons: int = 3
    tracker_max_scraping_attempts: int = 3
    tracker_refresh_interval_hours: float = 24
    tracker_refresh_cron: str = "0 2 * * *"
    tracker_refresh_cooldown_seconds: int = 300
    tracker_lease_seconds: int = 600
    tracker_lease_min_seconds: int = 10
    schedule_misfire_grace_hours: float = 24
    discord_bot_token: str | None = attrs.field(default=None, repr=False)
    discord_api_url: str = "https://discord.com/api/v10"
    frontend_url: str | None = None
    login_url: str | None = None
    throttle_limit: int = 100
    trusted_proxies: int = 0
    throttle_ttl_ms: int = 60000
    max_body_bytes: int = 64 * 1024
    inline_workers: int = 2
    reconcile_seconds: float = 60
    queue_name: str = "tracker-scraping-queue"
    sandbox: bool = False
    metrics_token: str | None = attrs.field(default=None, repr=False)
    metrics_cache_seconds: float = 15
    health_cache_seconds: float = 1.0

    @property
    def embedded(self) -> bool:
        """No Redis configured: in-process queue, budget, throttle and scheduler."""
        return self.redis_url is None

    def policy(self) -> Policy:
        return Policy(
            max_trackers_per_user=self.tracker_max_per_user,
            max_scraping_attempts=self.tracker_max_scraping_attempts,
            refresh_cooldown=timedelta(seconds=self.tracker_refresh_cooldown_seconds),
            refresh_interval=timedelta(hours=self.tracker_refresh_interval_hours),
            initial_seasons=self.tracker_initial_seasons,
            lease=timedelta(seconds=self.tracker_lease_seconds),
            misfire_grace=timedelta(hours=self.schedule_misfire_grace_hours),
        )


def _int(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(f"must be ≥ {minimum}")
        return value

    return parse


def _float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be > 0")
    return value


def _seconds(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("must be >= 0")
    return value


def _url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return raw.rstrip("/")


def _cron(raw: str) -> str:
    if not croniter.is_valid(raw):
        raise ValueError("must be a 5-field cron expression")
    return raw


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _pem(raw: str) -> str:
    text = raw.replace("\\n", "\n").strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    path = Path(text)
    if path.is_file():
        return path.read_text()
    raise ValueError("must be a PEM key or the path of a PEM file")


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no", ""):
        return False
    raise ValueError("must be true or false")


_PARSERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "TRACKERS_DATA_DIR": ("data_dir", Path),
    "DATABASE_URL": ("database_url", str),
    "REDIS_URL": ("redis_url", str),
    "JWT_PUBLIC_KEY": ("jwt_public_key", _pem),
    "JWT_PRIVATE_KEY": ("jwt_private_key", _pem),
    "BOT_API_KEY": ("bot_api_key", str),
    "SYSTEM_ADMIN_USER_IDS": ("system_admin_user_ids", _ids),
    "TRN_API_BASE_URL": ("trn_api_base_url", _url),
    "FLARESOLVERR_URL": ("flaresolverr_url", _url),
    "TRN_RATE_LIMIT_PER_MINUTE": ("trn_rate_limit_per_minute", _int(1)),
    "TRN_RATE_WINDOW_SECONDS": ("trn_rate_window_seconds", _float),
    "TRN_TIMEOUT_SECONDS": ("trn_timeout_seconds", _float),
    "TRN_MAX_RETRY_AFTER_SECONDS": ("trn_max_retry_after_seconds", _int(1)),
    "TRACKER_MAX_PER_USER": ("tracker_max_per_user", _int(1)),
    "TRACKER_INITIAL_SEASONS": ("tracker_initial_seasons", _int(0)),
    "TRACKER_MAX_SCRAPING_ATTEMPTS": ("tracker_max_scraping_attempts", _int(1)),
    "TRACKER_REFRESH_INTERVAL_HOURS": ("tracker_refresh_interval_hours", _float),
    "TRACKER_REFRESH_CRON": ("tracker_refresh_cron", _cron),
    "TRACKER_REFRESH_COOLDOWN_SECONDS": ("tracker_refresh_cooldown_seconds", _int(0)),
    "TRACKER_LEASE_SECONDS": ("tracker_lease_seconds", _int(1)),
    "TRACKER_LEASE_MIN_SECONDS": ("tracker_lease_min_seconds", _int(1)),
    "SCHEDULE_MISFIRE_GRACE_HOURS": ("schedule_misfire_grace_hours", _float),
    "DISCORD_BOT_TOKEN": ("discord_bot_token", str),
    "DISCORD_API_URL": ("discord_api_url", _url),
    "FRONTEND_URL": ("frontend_url", _url),
    "LOGIN_URL": ("login_url", _url),
    "THROTTLE_LIMIT": ("throttle_limit", _int(1)),
    "THROTTLE_TTL": ("throttle_ttl_ms", _int(1)),
    "TRUSTED_PROXIES": ("trusted_proxies", _int(0)),
    "MAX_BODY_BYTES": ("max_body_bytes", _int(1024)),
    "TRACKERS_INLINE_WORKERS": ("inline_workers", _int(1)),
    "TRACKER_RECONCILE_SECONDS": ("reconcile_seconds", _float),
    "TRACKERS_QUEUE_NAME": ("queue_name", str),
    "TRACKERS_SANDBOX": ("sandbox", _bool),
    "METRICS_TOKEN": ("metrics_token", str),
    "METRICS_CACHE_SECONDS": ("metrics_cache_seconds", _float),
    "HEALTH_CACHE_SECONDS": ("health_cache_seconds", _seconds),
}


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from ``env`` (default: the process environment) plus explicit overrides.

    Raises:
        ConfigError: naming the first malformed setting.
    """
    source = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, (field, parse) in _PARSERS.items():
        raw = source.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[field] = parse(raw.strip())
        except (ValueError, OSError) as exc:
            raise ConfigError(f"Invalid setting {name}: {exc}") from None
    values.update(overrides)
    settings = Settings(**values)
    if settings.tracker_lease_seconds < settings.tracker_lease_min_seconds:
        raise ConfigError(
            f"Invalid setting TRACKER_LEASE_SECONDS: must be at least "
            f"{settings.tracker_lease_min_seconds} (TRACKER_LEASE_MIN_SECONDS)"
        )
    if not settings.database_url:
        url = f"sqlite:///{(settings.data_dir / 'trackers.sqlite3').resolve()}"
        settings = attrs.evolve(settings, database_url=url)
    return settings
