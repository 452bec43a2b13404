"""The MMR calculator: a guild's formula over data the caller supplies, and the formula
checker and tester of the settings screen. Pure computations, bounded by the formula limits."""

from __future__ import annotations

import attrs

from tracker_core.errors import InvalidFormulaError, RuleViolationError
from tracker_core.formula import compile_formula
from tracker_core.mmr import MmrConfig, MmrInputs, calculate_mmr
from tracker_core.ports import UnitOfWork
from tracker_core.use_cases.guilds import get_settings
from tracker_core.use_cases.queries import Viewer

NO_DATA = "Either trackerData or ascendancyData must be provided"
BOTH_DATA = "Cannot provide both trackerData and ascendancyData"
ASCENDANCY_ONLY = "ascendancyData can only be used with ASCENDANCY algorithm"

SAMPLE_DATA = MmrInputs(
    ones=1200,
    twos=1400,
    threes=1600,
    fours=1000,
    ones_games=150,
    twos_games=300,
    threes_games=500,
    fours_games=50,
    ones_peak=1300,
    twos_peak=1500,
    threes_peak=1700,
    fours_peak=1100,
)
"""What a formula is tested against when the caller gives no data."""


@attrs.frozen(kw_only=True)
class AscendancyData:
    """The ASCENDANCY inputs as league staff collect them: 2s and 3s current and peak
    ratings, and games played this season and the previous one."""

    mmr2s_current: int
    mmr2s_peak: int
    games2s_curr_season: int
    games2s_prev_season: int
    mmr3s_current: int
    mmr3s_peak: int
    games3s_curr_season: int
    games3s_prev_season: int

    def inputs(self) -> MmrInputs:
        """The same numbers as algorithm inputs: each bracket's games are both seasons'."""
        return MmrInputs(
            twos=self.mmr2s_current,
            twos_peak=self.mmr2s_peak,
            twos_games=self.games2s_curr_season + self.games2s_prev_season,
            threes=self.mmr3s_current,
            threes_peak=self.mmr3s_peak,
            threes_games=self.games3s_curr_season + self.games3s_prev_season,
        )


@attrs.frozen(kw_only=True)
class CalculateMmr:
    """Compute an MMR under a guild's configuration from exactly one kind of data."""

    guild_id: str
    tracker_data: MmrInputs | None = None
    ascendancy_data: AscendancyData | None = None


@attrs.frozen
class Calculation:
    result: int
    config: MmrConfig


@attrs.frozen
class FormulaCheck:
    """``valid``, the error when not, and the variables the formula reads (sorted)."""

    valid: bool
    error: str | None
    variables: tuple[str, ...]


@attrs.frozen
class FormulaTest:
    result: int
    valid: bool
    error: str | None
    test_data: MmrInputs


def calculate_guild_mmr(
    cmd: CalculateMmr, *, uow: UnitOfWork, staff: Viewer | None = None
) -> Calculation:
    """The MMR the guild's formula gives for the supplied data; with ``staff``, only for an
    admin of the guild (or a system admin).

    Raises:
        NotFoundError: no such guild. ForbiddenError: ``staff`` is not an admin of it.
        RuleViolationError: no data, both kinds, or ascendancy data for a guild whose algorithm is
        not ASCENDANCY.
    """
    if cmd.tracker_data is None and cmd.ascendancy_data is None:
        raise RuleViolationError(NO_DATA)
    if cmd.tracker_data is not None and cmd.ascendancy_data is not None:
        raise RuleViolationError(BOTH_DATA)
    config = get_settings(cmd.guild_id, uow=uow, viewer=staff).mmr
    if cmd.ascendancy_data is not None:
        if config.algorithm != "ASCENDANCY":
            raise RuleViolationError(ASCENDANCY_ONLY)
        inputs = cmd.ascendancy_data.inputs()
    else:
        inputs = cmd.tracker_data or MmrInputs()
    return Calculation(calculate_mmr(inputs, config), config)


def check_formula(text: str) -> FormulaCheck:
    """Whether ``text`` is a valid CUSTOM formula (never raises for a bad formula)."""
    try:
        formula = compile_formula(text)
    except InvalidFormulaError as exc:
        return FormulaCheck(False, str(exc), ())
    return FormulaCheck(True, None, tuple(sorted(formula.variables)))


def try_formula(text: str, data: MmrInputs | None = None) -> FormulaTest:
    """The MMR ``text`` gives for ``data`` (the sample data when None)."""
    data = SAMPLE_DATA if data is None else data
    check = check_formula(text)
    if not check.valid:
        return FormulaTest(0, False, check.error, data)
    return FormulaTest(
        calculate_mmr(data, MmrConfig("CUSTOM", custom_formula=text)), True, None, data
    )
