"""tracker_core: the pure domain library of the Tracker Service (no I/O, no frameworks).

The names below are the public API; see docs/library.md.
"""

from tracker_core.changes import ChangeSet, PlaylistChange, diff_stats, update_is_notable
from tracker_core.errors import (
    FetchError,
    InvalidFormulaError,
    InvalidTrackerUrlError,
    TrackerError,
)
from tracker_core.formula import compile_formula
from tracker_core.mmr import MmrConfig, MmrInputs, PlayerRating, calculate_mmr
from tracker_core.model import Priority, Tracker, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.stats import PlaylistStats, SeasonStats
from tracker_core.urls import TrackerUrl, parse_tracker_url

__all__ = [
    "ChangeSet",
    "FetchError",
    "InvalidFormulaError",
    "InvalidTrackerUrlError",
    "MmrConfig",
    "MmrInputs",
    "PlayerRating",
    "PlaylistChange",
    "PlaylistStats",
    "Policy",
    "Priority",
    "Schedule",
    "ScheduleStatus",
    "SeasonStats",
    "Tracker",
    "TrackerError",
    "TrackerStatus",
    "TrackerUrl",
    "calculate_mmr",
    "compile_formula",
    "diff_stats",
    "parse_tracker_url",
    "update_is_notable",
]
