"""Users, guilds, memberships, guild settings and the access rules built on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from tracker_core.errors import FieldError, ValidationError
from tracker_core.league import EligibilityRules, FlagRules
from tracker_core.mmr import MmrConfig


@attrs.define(kw_only=True)
class User:
    """A Discord user; only the fields supplied by the bot or the JWT are ever written."""

    id: str
    username: str
    created_at: datetime
    updated_at: datetime
    global_name: str | None = None
    avatar: str | None = None
    email: str | None = None
    version: int = 0

    def apply_profile(self, profile: UserProfile, now: datetime) -> bool:
        """Write the supplied fields; True when something changed."""
        changed = False
        for name in ("username", "global_name", "avatar", "email"):
            value = getattr(profile, name)
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.updated_at = now
        return changed


@attrs.frozen(kw_only=True)
class UserProfile:
    """User fields supplied by a request (None: not supplied)."""

    username: str | None = None
    global_name: str | None = None
    avatar: str | None = None
    email: str | None = None

    def new_user(self, user_id: str, now: datetime) -> User:
        return User(
            id=user_id,
            username=self.username or user_id,
            global_name=self.global_name,
            avatar=self.avatar,
            email=self.email,
            created_at=now,
            updated_at=now,
        )


@attrs.define(kw_only=True)
class Guild:
    """A Discord server running a league."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    icon: str | None = None
    owner_id: str | None = None
    member_count: int | None = None
    is_active: bool = True
    version: int = 0


MAX_MEMBER_COUNT = 1_000_000
MAX_MEMBER_ROLES = 250


@attrs.frozen(kw_only=True)
class GuildMember:
    """A user's membership of a guild, with the role ids they hold."""

    guild_id: str
    user_id: str
    roles: tuple[str, ...] = ()
    nickname: str | None = None
    is_banned: bool = False
    is_deleted: bool = False

    @property
    def is_current(self) -> bool:
        return not self.is_banned and not self.is_deleted


@attrs.frozen(kw_only=True)
class NotificationSettings:
    webhook_url: str | None = None
    min_rating_change: int = 1
    notify_on_failure: bool = True


@attrs.frozen(kw_only=True)
class GuildSettings:
    """A guild's settings with their defaults applied."""

    tracker_processing_enabled: bool = True
    admin_roles: tuple[str, ...] = ()
    mmr: MmrConfig = attrs.field(factory=MmrConfig)
    notifications: NotificationSettings = attrs.field(factory=NotificationSettings)
    eligibility: EligibilityRules = attrs.field(factory=EligibilityRules)
    flags: FlagRules = attrs.field(factory=FlagRules)

    def with_admin_roles(self, role_ids: Iterable[str]) -> GuildSettings:
        """These settings with ``roles.admin`` replaced (every other setting kept)."""
        return attrs.evolve(self, admin_roles=tuple(dict.fromkeys(role_ids)))

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        """The JSON form; ``redact`` hides the secret part of the webhook URL (for responses)."""
        webhook = self.notifications.webhook_url
        return {
            "trackerProcessing": {"enabled": self.tracker_processing_enabled},
            "roles": {"admin": list(self.admin_roles)},
            "mmrCalculation": self.mmr.to_dict(),
            "notifications": {
                "webhookUrl": mask_webhook_url(webhook) if redact else webhook,
                "minRatingChange": self.notifications.min_rating_change,
                "notifyOnFailure": self.notifications.notify_on_failure,
            },
            "eligibility": self.eligibility.to_dict(),
            "flags": self.flags.to_dict(),
        }

    def merged(self, patch: Mapping[str, Any]) -> GuildSettings:
        """These settings with a (partial, JSON-shaped) patch applied and validated.

        Raises:
            ValidationError: a field has the wrong type or value.
            InvalidFormulaError: a CUSTOM formula is missing or invalid.
        """
        data = self.to_dict()
        for key, value in patch.items():
            if key not in data:
                raise ValidationError([FieldError(key, f"Unknown setting '{key}'")])
            if not isinstance(value, Mapping):
                raise ValidationError([FieldError(key, "must be an object")])
            for sub in value:
                if sub not in data[key] and key not in ("mmrCalculation", "eligibility"):
                    raise ValidationError([FieldError(f"{key}.{sub}", "Unknown setting")])
            data[key] = {**data[key], **value}
        current = self.notifications.webhook_url
        if current and data["notifications"].get("webhookUrl") == mask_webhook_url(current):
            data["notifications"]["webhookUrl"] = current  # a redacted read sent back unchanged
        return GuildSettings.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuildSettings:
        """Settings from their JSON form; missing keys take the defaults.

        Raises:
            ValidationError: a field has the wrong type or value.
        """
        processing = _section(data, "trackerProcessing")
        roles = _section(data, "roles")
        notes = _section(data, "notifications")
        enabled = _typed(processing, "enabled", bool, True, "trackerProcessing")
        admin = _typed(roles, "admin", list, [], "roles")
        if not all(isinstance(r, str) for r in admin):
            raise ValidationError([FieldError("roles.admin", "must be a list of role ids")])
        min_change = _typed(notes, "minRatingChange", int, 1, "notifications")
        if isinstance(min_change, bool) or min_change < 0:
            raise ValidationError(
                [FieldError("notifications.minRatingChange", "must be an integer ≥ 0")]
            )
        webhook = notes.get("webhookUrl")
        if webhook is not None and (
            not isinstance(webhook, str) or not webhook.startswith(("https://", "http://"))
        ):
            raise ValidationError([FieldError("notifications.webhookUrl", "must be an URL")])
        return cls(
            tracker_processing_enabled=enabled,
            admin_roles=tuple(admin),
            mmr=MmrConfig.from_dict(_section(data, "mmrCalculation")),
            notifications=NotificationSettings(
                webhook_url=webhook,
                min_rating_change=min_change,
                notify_on_failure=_typed(notes, "notifyOnFailure", bool, True, "notifications"),
            ),
            eligibility=EligibilityRules.from_dict(_section(data, "eligibility")),
            flags=FlagRules.from_dict(_section(data, "flags")),
        )


REDACTED = "[REDACTED]"


def mask_webhook_url(url: str | None) -> str | None:
    """The URL with its last path segment (a Discord webhook's token) replaced by a marker."""
    if not url:
        return url
    head, _, _ = url.rstrip("/").rpartition("/")
    return f"{head}/{REDACTED}" if "://" in head else REDACTED


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError([FieldError(key, "must be an object")])
    return value


def _typed(section: Mapping[str, Any], key: str, kind: type, default: Any, prefix: str) -> Any:
    value = section.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValidationError([FieldError(f"{prefix}.{key}", f"must be a {kind.__name__}")])
    return value


def is_guild_admin(member: GuildMember | None, settings: GuildSettings) -> bool:
    """Holders of one of the guild's admin roles, with a current membership."""
    if member is None or not member.is_current:
        return False
    return bool(set(member.roles) & set(settings.admin_roles))


def processing_allowed(owner_guild_settings: Iterable[GuildSettings]) -> bool:
    """The processing guard: no guild at all, or at least one guild with processing on."""
    settings = list(owner_guild_settings)
    return not settings or any(s.tracker_processing_enabled for s in settings)
