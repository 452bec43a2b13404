"""League integrity from the command line (``trackers league …``): eligibility settings, numbers
pulls, overrides, diffs, review flags and manual entry, as the operator (a system admin)."""

from __future__ import annotations

from typing import Any, get_args

import click
from rich.console import Console
from rich.table import Table

from entrypoints.cli.options import check_cuid, json_option
from entrypoints.cli.output import emit
from entrypoints.cli.services import OPERATOR, services
from entrypoints.responses.base import to_json
from entrypoints.responses.league import flag, pull, pull_diff, pull_row, standing
from tracker_core.errors import FieldError, ValidationError
from tracker_core.flags import FLAG_KINDS, FlagStatus, Resolution
from tracker_core.league import GAME_KEYS
from tracker_core.pulls import ROW_FILTERS
from tracker_core.stats import RankedPlaylist
from tracker_core.use_cases import flags as fc
from tracker_core.use_cases import league as lc
from tracker_core.use_cases import manual as mc

ACTOR = OPERATOR.user_id
PLAYLISTS: dict[str, RankedPlaylist] = {
    "ones": "1v1",
    "twos": "2v2",
    "threes": "3v3",
    "fours": "4v4",
}


def _cuid(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return check_cuid(value)


@click.group()
def league() -> None:
    """Eligibility, numbers pulls, overrides, diffs, review flags, manual entry.

    See docs/league.md.
    """


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise ValidationError([FieldError(option, f"expected KEY=VALUE, got {value!r}")])
        found[key] = rest
    return found


@league.command()
@click.argument("guild_id")
@click.option("--seasons", type=click.IntRange(1, 2), default=None, help="Seasons counted.")
@click.option(
    "--min",
    "minimums",
    multiple=True,
    help=f"Minimum games, KEY=N with KEY one of {', '.join(GAME_KEYS)} (repeatable).",
)
@click.option("--combined", default=None, help="Playlists summed as 'combined', e.g. twos,threes.")
@click.option("--off", is_flag=True, help="Remove every minimum (everyone eligible).")
@json_option
def eligibility(
    guild_id: str, seasons: int | None, minimums: tuple[str, ...], combined: str | None, off: bool
) -> None:
    """Set a guild's eligibility rules (the options given replace those settings)."""
    section: dict[str, Any] = {}
    if seasons is not None:
        section["seasonsCounted"] = seasons
    if off:
        section["minGames"] = {}
    elif minimums:
        pairs = _pairs(minimums, "--min")
        if not all(v.isdigit() for v in pairs.values()):
            raise ValidationError([FieldError("--min", "games must be whole numbers")])
        section["minGames"] = {k: int(v) for k, v in pairs.items()}
    if combined is not None:
        section["combinedPlaylists"] = [p.strip() for p in combined.split(",") if p.strip()]
    settings = services().use_cases.update_settings(guild_id, {"eligibility": section})
    data = settings.eligibility.to_dict()
    emit(data, lambda out: out.print(f"Eligibility of {guild_id}: {data}"))


@league.command()
@click.argument("guild_id")
@json_option
def standings(guild_id: str) -> None:
    """The members' MMR from their strongest tracker, with eligibility and flags."""
    use_cases = services().use_cases
    found = use_cases.guild_standings(guild_id)
    now = use_cases.clock.now()
    rows = [to_json(standing(guild_id, s, now)) for s in found]

    def table(out: Console) -> None:
        view = Table("User", "MMR", "Tracker", "Eligible", "Stale", "Flags", "Why")
        for r in rows:
            view.add_row(
                r["userId"],
                str(r["mmr"]),
                r["trackerId"],
                "yes" if r["eligibility"]["eligible"] else "; ".join(r["eligibility"]["reasons"]),
                "yes" if r["stale"] else "",
                " ".join(r["flags"]),
                r["bestTrackerReason"],
            )
        out.print(view)

    emit(rows, table)


@league.command("pull")
@click.argument("guild_id")
@click.option("--name", required=True, help="The pull's name.")
@click.option("--note", default=None, help="A note kept with the pull.")
@json_option
def create(guild_id: str, name: str, note: str | None) -> None:
    """Freeze every member's numbers into the guild's next numbered pull."""
    cmd = lc.CreatePull(guild_id=guild_id, name=name, note=note, actor=ACTOR)
    made = to_json(pull(services().use_cases.create_pull(cmd)))
    emit(
        made,
        lambda out: out.print(
            f"Pull #{made['number']} {made['id']}: {made['memberCount']} members"
        ),
    )


@league.command("pulls")
@click.argument("guild_id")
@json_option
def list_pulls(guild_id: str) -> None:
    """The guild's pulls, newest first."""
    found = [to_json(pull(p)) for p in services().use_cases.list_pulls(guild_id)]

    def table(out: Console) -> None:
        view = Table("#", "Id", "Name", "Members", "Created")
        for p in found:
            view.add_row(
                str(p["number"]), p["id"], p["name"], str(p["memberCount"]), p["createdAt"]
            )
        out.print(view)

    emit(found, table)


@league.command("show")
@click.argument("guild_id")
@click.argument("pull_id", callback=_cuid)
@click.option("--filter", "row_filter", type=click.Choice(ROW_FILTERS), default=None)
@json_option
def show_pull(guild_id: str, pull_id: str, row_filter: Any) -> None:
    """Every row of a pull (optionally only eligible, ineligible or stale ones)."""
    found = services().use_cases.export_pull(guild_id, pull_id)
    rows = [
        to_json(pull_row(found.pull, r, found.overrides.get(r.user_id)))
        for r in found.rows
        if r.matches(row_filter)
    ]

    def table(out: Console) -> None:
        view = Table("User", "MMR", "Effective", "Eligible", "Stale", "Flags")
        for r in rows:
            view.add_row(
                r["userId"],
                str(r["mmr"]),
                str(r["effectiveMmr"]),
                "yes" if r["eligibility"]["eligible"] else "no",
                "yes" if r["stale"] else "",
                " ".join(r["flags"]),
            )
        out.print(view)

    emit({"pull": pull(found.pull), "rows": rows}, table)


@league.command()
@click.argument("guild_id")
@click.argument("pull_id", callback=_cuid)
@click.argument("user_id")
@click.option("--mmr", type=click.IntRange(0, 100000), required=True)
@click.option("--reason", required=True, help="Why (kept with the override and audited).")
@json_option
def override(guild_id: str, pull_id: str, user_id: str, mmr: int, reason: str) -> None:
    """Set a staff MMR beside a member's frozen number in a pull."""
    cmd = lc.OverridePullRow(
        guild_id=guild_id, pull_id=pull_id, user_id=user_id, mmr=mmr, reason=reason, actor=ACTOR
    )
    done = services().use_cases.override_pull_row(cmd)
    row = to_json(pull_row(done.pull, done.row, done.override))
    emit(row, lambda out: out.print(f"{user_id}: {row['mmr']} → {row['effectiveMmr']}"))


@league.command()
@click.argument("guild_id")
@click.argument("before", callback=_cuid)
@click.argument("after", callback=_cuid)
@json_option
def diff(guild_id: str, before: str, after: str) -> None:
    """Who moved between two pulls, who appeared and who disappeared."""
    found = services().use_cases.compare_pulls(guild_id, before, after)
    d = found.diff
    data = pull_diff(found.a, found.b, d)

    def text(out: Console) -> None:
        for m in d.moved:
            delta = "" if m.delta is None else f" ({m.delta:+})"
            out.print(f"{m.user_id}: {m.before} → {m.after}{delta}")
        for user_id, mmr in d.appeared:
            out.print(f"+ {user_id} ({mmr})")
        for user_id, mmr in d.disappeared:
            out.print(f"- {user_id} ({mmr})")
        out.print(f"{d.unchanged} unchanged")

    emit(data, text)


@league.command()
@click.argument("guild_id")
@click.option("--status", type=click.Choice(get_args(FlagStatus)), default=None)
@click.option("--kind", type=click.Choice(FLAG_KINDS), default=None)
@json_option
def flags(guild_id: str, status: Any, kind: Any) -> None:
    """The guild's review flags, newest first."""
    found = [to_json(flag(f)) for f in services().use_cases.list_flags(guild_id, status, kind)]

    def table(out: Console) -> None:
        view = Table("Id", "Kind", "User", "Status", "Detail")
        for f in found:
            view.add_row(f["id"], f["kind"], f["userId"], f["status"], f["detail"])
        out.print(view)

    emit(found, table)


@league.command()
@click.argument("guild_id")
@click.argument("flag_id", callback=_cuid)
@click.option("--resolution", type=click.Choice(get_args(Resolution)), required=True)
@click.option("--note", default=None)
@json_option
def resolve(guild_id: str, flag_id: str, resolution: Any, note: str | None) -> None:
    """Resolve a review flag as confirmed or dismissed."""
    cmd = fc.ResolveFlag(
        guild_id=guild_id, flag_id=flag_id, resolution=resolution, note=note, actor=ACTOR
    )
    done = to_json(flag(services().use_cases.resolve_flag(cmd)))
    emit(done, lambda out: out.print(f"Flag {flag_id} {resolution}"))


@league.command()
@click.argument("guild_id")
@click.argument("user_id")
@click.option("--tracker", "tracker_id", required=True, callback=_cuid, help="The tracker's id.")
@click.option("--season", type=click.IntRange(1, 1000), required=True)
@click.option(
    "--playlist",
    "playlists",
    multiple=True,
    required=True,
    help="NAME=RATING:GAMES[:PEAK], NAME one of ones, twos, threes, fours (repeatable).",
)
@click.option("--note", required=True)
@click.option("--evidence", default=None, help="URL of the evidence (a screenshot).")
@json_option
def manual(
    guild_id: str,
    user_id: str,
    tracker_id: str,
    season: int,
    playlists: tuple[str, ...],
    note: str,
    evidence: str | None,
) -> None:
    """Enter a member's ratings for one season of one tracker (a MANUAL snapshot)."""
    if evidence is not None and not evidence.startswith(("https://", "http://")):
        raise ValidationError([FieldError("--evidence", "must be an http(s) URL")])
    entered: dict[RankedPlaylist, mc.ManualPlaylist] = {}
    for key, value in _pairs(playlists, "--playlist").items():
        parts = value.split(":")
        if key not in PLAYLISTS or len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValidationError(
                [FieldError("--playlist", f"expected NAME=RATING:GAMES[:PEAK], got {key}={value}")]
            )
        numbers = [int(p) for p in parts]
        entered[PLAYLISTS[key]] = mc.ManualPlaylist(*numbers)
    cmd = mc.EnterManualRatings(
        guild_id=guild_id,
        user_id=user_id,
        tracker_id=tracker_id,
        season_number=season,
        playlists=entered,
        actor=ACTOR,
        evidence_url=evidence,
        note=note,
    )
    snapshot = services().use_cases.enter_manual_ratings(cmd)
    data = {"id": snapshot.id, "trackerId": tracker_id, "seasonNumber": season, "source": "MANUAL"}
    emit(data, lambda out: out.print(f"Manual ratings stored for {user_id} ({tracker_id})"))
