"""Settings from the environment: defaults, parsing, and errors naming the setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from entrypoints.config import ConfigError, load_settings


def test_defaults_are_the_spec_s(tmp_path: Path) -> None:
    settings = load_settings({"TRACKERS_DATA_DIR": str(tmp_path)})
    assert settings.embedded and settings.redis_url is None
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/trackers.sqlite3"
    assert (settings.trn_rate_limit_per_minute, settings.trn_timeout_seconds) == (60, 30)
    assert settings.tracker_refresh_cron == "0 2 * * *"
    assert (settings.throttle_limit, settings.throttle_ttl_ms) == (100, 60000)
    assert settings.trn_max_retry_after_seconds == 900
    policy = settings.policy()
    assert policy.max_trackers_per_user == 4 and policy.max_scraping_attempts == 3
    assert policy.refresh_cooldown == timedelta(seconds=300)
    assert policy.refresh_interval == timedelta(hours=24)
    assert policy.misfire_grace == timedelta(hours=24) and policy.initial_seasons == 3


def test_values_are_parsed() -> None:
    settings = load_settings(
        {
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1/db",
            "SYSTEM_ADMIN_USER_IDS": " 1, 2,,3 ",
            "TRN_API_BASE_URL": "http://127.0.0.1:9/api/",
            "TRACKER_MAX_PER_USER": "6",
            "TRN_MAX_RETRY_AFTER_SECONDS": "120",
            "HEALTH_CACHE_SECONDS": "0",
            "JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----",
        }
    )
    assert not settings.embedded
    assert settings.system_admin_user_ids == frozenset({"1", "2", "3"})
    assert settings.trn_api_base_url == "http://127.0.0.1:9/api"
    assert settings.policy().max_trackers_per_user == 6
    assert settings.trn_max_retry_after_seconds == 120
    assert settings.health_cache_seconds == 0
    assert settings.jwt_public_key is not None and "\nabc\n" in settings.jwt_public_key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRN_RATE_LIMIT_PER_MINUTE", "0"),
        ("TRN_RATE_LIMIT_PER_MINUTE", "lots"),
        ("TRACKER_REFRESH_CRON", "every night"),
        ("TRN_API_BASE_URL", "ftp://example"),
        ("JWT_PUBLIC_KEY", "not a key"),
        ("TRN_TIMEOUT_SECONDS", "-1"),
        ("TRACKERS_SANDBOX", "maybe"),
        ("TRN_MAX_RETRY_AFTER_SECONDS", "0"),
        ("TRN_MAX_RETRY_AFTER_SECONDS", "a week"),
        ("HEALTH_CACHE_SECONDS", "-1"),
        ("TRN_RATE_WINDOW_SECONDS", "0"),
    ],
)
def test_a_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^Invalid setting {name}: "):
        load_settings({name: value})


def test_secrets_stay_out_of_the_repr() -> None:
    settings = load_settings({"BOT_API_KEY": "bot-secret", "DISCORD_BOT_TOKEN": "discord-secret"})
    assert "secret" not in repr(settings)


def test_the_lease_minimum_is_ten_seconds_unless_a_test_lowers_it() -> None:
    with pytest.raises(ConfigError, match="^Invalid setting TRACKER_LEASE_SECONDS: .* 10 "):
        load_settings({"TRACKER_LEASE_SECONDS": "9"})
    assert load_settings({"TRACKER_LEASE_SECONDS": "10"}).policy().lease.total_seconds() == 10
    lowered = load_settings({"TRACKER_LEASE_SECONDS": "2", "TRACKER_LEASE_MIN_SECONDS": "1"})
    assert lowered.policy().lease.total_seconds() == 2
    with pytest.raises(ConfigError, match="^Invalid setting TRACKER_LEASE_MIN_SECONDS: "):
        load_settings({"TRACKER_LEASE_MIN_SECONDS": "0"})


def test_the_budget_window_is_a_minute_unless_a_test_compresses_it() -> None:
    assert load_settings({}).trn_rate_window_seconds == 60
    assert load_settings({"TRN_RATE_WINDOW_SECONDS": "10"}).trn_rate_window_seconds == 10
