"""Guilds from the command line: add, list, show, member sync, settings, and the MMR board.

The same use cases as the bot's ``/internal`` routes and the staff API; the operator acts as
the bot (no admin-role check). A sync file has the body of ``POST /internal/guilds/:id/sync``
and is validated by the same request class.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import IO, Any

import click

from entrypoints.cli.options import guild_id_argument, json_option, snowflake_option
from entrypoints.cli.output import emit, note
from entrypoints.cli.services import OPERATOR, services
from entrypoints.cli.views import guild_view, guilds_table, mmr_table, settings_lines
from entrypoints.http.requests import SyncBody
from entrypoints.http.validation import parse_json, structure
from entrypoints.responses import api as res
from entrypoints.responses import league as league_res
from entrypoints.responses.base import to_json
from tracker_core.errors import NotFoundError
from tracker_core.guilds import UserProfile
from tracker_core.use_cases.guilds import GuildData
from tracker_core.use_cases.members import MemberData, SyncGuild


@click.group()
def guild() -> None:
    """Manage guilds: add, list, show, sync members, settings.

    What the Discord bot does through /internal/*, without a bot key: the operator of the
    machine acts as the bot.
    """


@guild.command("add")
@guild_id_argument
@click.option("--name", required=True, help="The guild's name.")
@snowflake_option("--owner", "owner_id", required=False, help="Discord id of its owner.")
@click.option("--member-count", type=click.IntRange(min=0), default=None, help="Member count.")
@click.option(
    "--upsert",
    is_flag=True,
    help="Update the given fields (and reactivate) when the guild exists, instead of failing.",
)
@json_option
def guild_add(
    guild_id: str, name: str, owner_id: str | None, member_count: int | None, upsert: bool
) -> None:
    """Create a guild (exit 1 if it exists, unless --upsert)."""
    if not name.strip() or len(name) > 100:
        raise click.BadParameter("must be 1-100 characters", param_hint="'--name'")
    svc = services()
    data = GuildData(
        name=name,
        owner_id=owner_id,
        member_count=member_count,
        is_active=True if upsert else None,
    )
    saved = svc.use_cases.create_guild(guild_id, data, upsert=upsert)
    verb = "Created" if saved.created else "Updated"
    emit(res.guild(saved.guild), lambda out: out.print(f"{verb} guild {guild_id} ({name})."))


@guild.command("list")
@json_option
def guild_list() -> None:
    """List every guild, by name."""
    svc = services()
    found = svc.use_cases.list_guilds()
    emit([res.guild(g) for g in found], lambda out: out.print(guilds_table(found)))


@guild.command("show")
@guild_id_argument
@json_option
def guild_show(guild_id: str) -> None:
    """Show a guild: its fields, member and tracker counts, its main settings."""
    svc = services()
    roster = svc.use_cases.guild_roster(OPERATOR, guild_id)
    settings = svc.use_cases.get_settings(guild_id)
    trackers = sum(len(entry.trackers) for entry in roster.entries)
    rated = sum(1 for entry in roster.entries if entry.rating is not None)
    data = {
        **to_json(res.guild(roster.guild)),
        "members": len(roster.entries),
        "trackers": trackers,
        "ratedMembers": rated,
        "settings": res.settings(settings),
    }
    emit(
        data,
        lambda out: out.print(
            guild_view(roster.guild, settings, len(roster.entries), trackers, rated)
        ),
    )


def _members(body: SyncBody) -> tuple[MemberData, ...]:
    return tuple(
        MemberData(
            user_id=m.user_id,
            roles=tuple(m.roles),
            nickname=m.nickname,
            profile=UserProfile(username=m.username, global_name=m.global_name, avatar=m.avatar),
        )
        for m in body.members
    )


def _sync_command(guild_id: str, body: SyncBody) -> SyncGuild:
    from tracker_core.errors import FieldError, ValidationError

    info = None
    if body.guild is not None:
        if body.guild.id != guild_id:
            message = "guild.id must be the GUILD_ID argument"
            raise ValidationError([FieldError("guild.id", message)], message=message)
        info = GuildData(
            name=body.guild.name,
            icon=body.guild.icon,
            owner_id=body.guild.owner_id,
            member_count=body.guild.member_count,
        )
    admin = body.roles.admin if body.roles is not None else None
    return SyncGuild(
        guild_id=guild_id,
        members=_members(body),
        guild=info,
        admin_roles=None if admin is None else tuple(role.id for role in admin),
    )


@guild.command("sync")
@guild_id_argument
@click.option(
    "--file",
    "-f",
    "source",
    type=click.File("rb"),
    required=True,
    help="JSON file ('-': standard input) shaped like POST /internal/guilds/:id/sync.",
)
@json_option
def guild_sync(guild_id: str, source: IO[bytes]) -> None:
    """Replace a guild's member set (and optionally its name, owner and admin roles).

    The file is the bot's sync body: {"members": [{"userId", "roles", "username"?,
    "globalName"?, "nickname"?}], "guild"?: {"id", "name", "ownerId"}, "roles"?: {"admin":
    [{"id"}]}}. Without "guild" the guild must exist. One transaction: all or nothing.
    """
    body = structure(parse_json(source.read()), SyncBody)
    svc = services()
    result = svc.use_cases.sync_guild(_sync_command(guild_id, body))
    data = res.SyncResult(res.guild(result.guild), result.members_synced)
    emit(
        data,
        lambda out: out.print(
            f"Synced {result.members_synced} member(s) of guild {guild_id} ({result.guild.name})."
        ),
    )


@guild.group("settings")
def guild_settings() -> None:
    """Read or change a guild's settings (get, set)."""


@guild_settings.command("get")
@guild_id_argument
@json_option
def settings_get(guild_id: str) -> None:
    """Show a guild's settings, defaults applied (a webhook URL's token is hidden)."""
    svc = services()
    settings = to_json(res.settings(svc.use_cases.get_settings(guild_id)))
    emit(settings, lambda out: out.print(settings_lines(settings)))


def _value(raw: str) -> Any:
    """A JSON value when ``raw`` parses as one (numbers, true, null, lists), else the text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _assignments(
    _ctx: click.Context, _param: click.Parameter, values: Sequence[str]
) -> list[tuple[list[str], Any]]:
    parsed = []
    for item in values:
        path, sep, raw = item.partition("=")
        keys = path.strip().split(".")
        if not sep or len(keys) < 2 or not all(keys):
            raise click.BadParameter(
                f"{item!r}: expected SECTION.KEY=VALUE, e.g. trackerProcessing.enabled=false"
            )
        parsed.append((keys, _value(raw)))
    return parsed


def _patch(current: Mapping[str, Any], assignments: Sequence[tuple[list[str], Any]]) -> Any:
    """The sections to send: each touched section, as it is now, with the assignments made.

    Whole sections are sent because the core merges one level deep; a redacted webhook URL
    sent back unchanged keeps the stored one (``GuildSettings.merged``).
    """
    patch: dict[str, Any] = {}
    for keys, value in assignments:
        section = keys[0]
        if section not in patch:
            existing = current.get(section)
            patch[section] = json.loads(json.dumps(existing)) if isinstance(existing, dict) else {}
        target = patch[section]
        for key in keys[1:-1]:
            child = target.get(key)
            if not isinstance(child, dict):
                child = {}
                target[key] = child
            target = child
        target[keys[-1]] = value
    return patch


@guild_settings.command("set")
@guild_id_argument
@click.argument("assignments", nargs=-1, required=True, callback=_assignments)
@json_option
def settings_set(guild_id: str, assignments: list[tuple[list[str], Any]]) -> None:
    """Change settings: SECTION.KEY=VALUE ... (validated; all or nothing).

    VALUE is read as JSON when it is JSON (50, 0.3, true, null, ["id"]), else as text.
    Examples: trackerProcessing.enabled=false, mmrCalculation.algorithm=PEAK_MMR,
    mmrCalculation.weights.twos=0.4, mmrCalculation.customFormula='(ones + twos) / 2'.
    """
    svc = services()
    current = to_json(res.settings(svc.use_cases.get_settings(guild_id)))
    updated = svc.use_cases.update_settings(guild_id, _patch(current, assignments))
    updated = to_json(res.settings(updated))
    emit(updated, lambda out: out.print(settings_lines(updated)))


def _names(svc: Any, user_ids: Sequence[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for user_id in dict.fromkeys(user_ids):
        try:
            user = svc.use_cases.get_user(user_id)
        except NotFoundError:
            continue
        names[user_id] = user.global_name or user.username
    return names


@click.command("mmr")
@snowflake_option("--guild", "guild_id", required=True, help="Discord id of the guild.")
@json_option
def mmr(guild_id: str) -> None:
    """Show a guild's MMR leaderboard with its inputs.

    The members' league MMR under the guild's algorithm, highest first, each from the
    member's strongest tracker (as `league standings` and the MMR routes), with what it read:
    each ranked playlist's rating and games of that tracker's latest season.
    """
    svc = services()
    now = svc.use_cases.clock.now()
    rows = sorted(
        (s for s in svc.use_cases.guild_standings(guild_id) if s.best is not None),
        key=lambda s: -(s.mmr or 0),
    )
    names = _names(svc, [s.user_id for s in rows])
    data = [
        to_json(league_res.standing(guild_id, s, now)) | {"username": names.get(s.user_id)}
        for s in rows
    ]
    emit(data, lambda out: out.print(mmr_table(rows, names, guild_id)))
    if not rows:
        note("Ratings appear once members' trackers are scraped (trackers process --guild).")
