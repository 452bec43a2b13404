"""User endpoints for league staff (JWT): a guild's settings and their history, and the MMR
calculator with the formula checker and tester of the settings screen."""

from __future__ import annotations

from entrypoints.http import deps
from entrypoints.http.guilds import settings_patch
from entrypoints.http.requests import (
    AscendancyDataBody,
    CalculateBody,
    EmptyBody,
    FormulaBody,
    PageQuery,
    SettingsPatchBody,
    TestFormulaBody,
    TrackerDataBody,
)
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from tracker_core.errors import ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.mmr import MmrInputs
from tracker_core.use_cases import calculator as calc

ROUTES = RouteTable("staff", "/api", "user", "Staff")
SETTINGS = "/guilds/<guildId>/settings"
STAFF = (NotFoundError, ForbiddenError)


def settings_paths(guild_id: str) -> tuple[str, ...]:
    """Every path whose successful calls change a guild's settings: both sides of the API and
    the dashboard's settings forms (each audits the JSON patch it applies)."""
    return (
        f"/internal/guilds/{guild_id}/settings",
        f"/api/guilds/{guild_id}/settings",
        f"/api/guilds/{guild_id}/settings/reset",
        f"/guilds/{guild_id}/settings",
        f"/guilds/{guild_id}/settings/notifications",
        f"/guilds/{guild_id}/league/eligibility",
        f"/guilds/{guild_id}/flags/settings",
    )


@ROUTES.route(
    "GET",
    SETTINGS,
    summary="A guild's settings (guild staff)",
    response="GuildSettings",
    errors=STAFF,
)
def settings(guildId: str) -> res.GuildSettings:
    """The settings, defaults applied, the webhook token hidden."""
    viewer = deps.principal().viewer
    return res.settings(deps.use_cases().get_settings(guildId, viewer=viewer))


@ROUTES.route(
    "PATCH",
    SETTINGS,
    summary="Merge sections into a guild's settings (guild staff)",
    response="GuildSettings",
    body=SettingsPatchBody,
    errors=(*STAFF, RuleViolationError),
)
def update_settings(guildId: str, body: SettingsPatchBody) -> res.GuildSettings:
    """The merged, validated settings."""
    viewer = deps.principal().viewer
    patch = settings_patch(body)
    return res.settings(deps.use_cases().update_settings(guildId, patch, viewer=viewer))


@ROUTES.route(
    "POST",
    SETTINGS + "/reset",
    summary="Reset a guild's settings to the defaults, keeping its admin roles (guild staff)",
    response="GuildSettings",
    body=EmptyBody,
    errors=STAFF,
)
def reset_settings(guildId: str, body: EmptyBody) -> res.GuildSettings:
    """The default settings with the guild's admin roles."""
    viewer = deps.principal().viewer
    return res.settings(deps.use_cases().reset_settings(guildId, viewer=viewer))


@ROUTES.route(
    "GET",
    SETTINGS + "/history",
    summary="Changes of a guild's settings, newest first (guild staff)",
    response="SettingsChangePage",
    query=PageQuery,
    errors=STAFF,
)
def settings_history(guildId: str, query: PageQuery) -> res.SettingsChangePage:
    """Each successful change with its actor and its (redacted) body."""
    viewer = deps.principal().viewer
    found, total = deps.use_cases().settings_history(
        guildId, settings_paths(guildId), query.page, query.limit, viewer=viewer
    )
    items = [res.settings_change(guildId, entry) for entry in found]
    return res.SettingsChangePage(items, res.pagination(total, query.page, query.limit))


def mmr_inputs(data: TrackerDataBody) -> MmrInputs:
    """Calculator data as algorithm inputs."""
    return MmrInputs(
        ones=data.ones,
        twos=data.twos,
        threes=data.threes,
        fours=data.fours,
        ones_games=data.ones_games_played,
        twos_games=data.twos_games_played,
        threes_games=data.threes_games_played,
        fours_games=data.fours_games_played,
        ones_peak=data.ones_peak,
        twos_peak=data.twos_peak,
        threes_peak=data.threes_peak,
        fours_peak=data.fours_peak,
    )


def ascendancy(data: AscendancyDataBody) -> calc.AscendancyData:
    """The ascendancy block as the core's data."""
    return calc.AscendancyData(
        mmr2s_current=data.mmr2s_current,
        mmr2s_peak=data.mmr2s_peak,
        games2s_curr_season=data.games2s_curr_season,
        games2s_prev_season=data.games2s_prev_season,
        mmr3s_current=data.mmr3s_current,
        mmr3s_peak=data.mmr3s_peak,
        games3s_curr_season=data.games3s_curr_season,
        games3s_prev_season=data.games3s_prev_season,
    )


def calculation(body: CalculateBody, *, staff_only: bool) -> res.Calculation:
    """``{result, algorithm, config}`` for the body's data under the guild's configuration."""
    cmd = calc.CalculateMmr(
        guild_id=body.guild_id,
        tracker_data=None if body.tracker_data is None else mmr_inputs(body.tracker_data),
        ascendancy_data=None if body.ascendancy_data is None else ascendancy(body.ascendancy_data),
    )
    staff = deps.principal().viewer if staff_only else None
    return res.calculation(deps.use_cases().calculate_guild_mmr(cmd, staff=staff))


@ROUTES.route(
    "POST",
    "/calculator",
    summary="MMR under a guild's configuration for the supplied data (any user)",
    response="Calculation",
    body=CalculateBody,
    errors=(NotFoundError, RuleViolationError),
)
def calculator(body: CalculateBody) -> res.Calculation:
    """``{result, algorithm, config}``."""
    return calculation(body, staff_only=False)


@ROUTES.route(
    "POST",
    "/mmr-calculation/calculate-mmr",
    summary="MMR under a guild's configuration for the supplied data (guild staff)",
    response="Calculation",
    body=CalculateBody,
    errors=(*STAFF, RuleViolationError),
)
def calculate_mmr(body: CalculateBody) -> res.Calculation:
    """``{result, algorithm, config}``."""
    return calculation(body, staff_only=True)


@ROUTES.route(
    "POST",
    "/mmr-calculation/validate-formula",
    summary="Check a CUSTOM formula (any user)",
    response="FormulaCheck",
    body=FormulaBody,
    storage=False,
)
def validate_formula(body: FormulaBody) -> res.FormulaCheck:
    """``{valid, error?, variables}``."""
    return res.formula_check(calc.check_formula(body.formula))


@ROUTES.route(
    "POST",
    "/mmr-calculation/test-formula",
    summary="Evaluate a CUSTOM formula on test data or sample data (any user)",
    response="FormulaTest",
    body=TestFormulaBody,
    storage=False,
)
def test_formula(body: TestFormulaBody) -> res.FormulaTest:
    """``{result, valid, error?, testData}``."""
    data = None if body.test_data is None else mmr_inputs(body.test_data)
    return res.formula_test(calc.try_formula(body.formula, data))
