"""The response schema table: JSON Schema of every answer, as :mod:`serializers` writes it."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

DATE_TIME: Schema = {"type": "string", "format": "date-time"}
STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
FREE_OBJECT: Schema = {"type": "object"}
TRACKER_STATUSES = ["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"]
SCHEDULE_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "CANCELLED", "FAILED"]
PLATFORMS = ["STEAM", "EPIC", "XBL", "PSN", "SWITCH"]
ALGORITHMS = ["WEIGHTED_AVERAGE", "PEAK_MMR", "ASCENDANCY", "CUSTOM"]
PLAYLIST_KEYS = ("ones", "twos", "threes", "fours")


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """A closed object whose properties are all required except ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def array(items: Schema) -> Schema:
    """An array of ``items``."""
    return {"type": "array", "items": items}


def enum(values: list[str]) -> Schema:
    """One of ``values``."""
    return {"type": "string", "enum": values}


def _page(item: str, *, admin: bool) -> Schema:
    return obj(
        {"data": array(ref(item)), "pagination": ref("AdminPagination" if admin else "Pagination")}
    )


_PAGINATION = {"page": INTEGER, "limit": INTEGER, "total": INTEGER, "pages": INTEGER}

TRACKER: dict[str, Schema] = {
    "id": STRING,
    "url": STRING,
    "game": enum(["ROCKET_LEAGUE"]),
    "platform": enum(PLATFORMS),
    "username": STRING,
    "userId": STRING,
    "displayName": nullable(STRING),
    "isActive": BOOLEAN,
    "isDeleted": BOOLEAN,
    "lastScrapedAt": nullable(DATE_TIME),
    "scrapingStatus": enum(TRACKER_STATUSES),
    "scrapingError": nullable(STRING),
    "scrapingAttempts": INTEGER,
    "registrationChannelId": nullable(STRING),
    "platformUserId": nullable(STRING),
    "createdAt": DATE_TIME,
    "updatedAt": DATE_TIME,
}

_PLAYLIST = obj(
    {
        "rank": nullable(STRING),
        "rankValue": nullable(INTEGER),
        "division": nullable(STRING),
        "divisionValue": nullable(INTEGER),
        "rating": nullable(NUMBER),
        "matchesPlayed": nullable(INTEGER),
        "winStreak": nullable(INTEGER),
        "peakRating": nullable(NUMBER),
        "allTimePeakRating": nullable(NUMBER),
    }
)

_SEASON = obj(
    {
        "id": STRING,
        "trackerId": STRING,
        "seasonNumber": INTEGER,
        "seasonName": STRING,
        "playlist1v1": nullable(ref("PlaylistStats")),
        "playlist2v2": nullable(ref("PlaylistStats")),
        "playlist3v3": nullable(ref("PlaylistStats")),
        "playlist4v4": nullable(ref("PlaylistStats")),
        "extraPlaylists": {"type": "object", "additionalProperties": ref("PlaylistStats")},
        "scrapedAt": DATE_TIME,
        "createdAt": DATE_TIME,
        "updatedAt": DATE_TIME,
    }
)

_SNAPSHOT = obj(
    {
        "id": STRING,
        "trackerId": STRING,
        "capturedAt": DATE_TIME,
        "seasonNumber": nullable(INTEGER),
        **{key: nullable(INTEGER) for key in PLAYLIST_KEYS},
        **{f"{key}GamesPlayed": nullable(INTEGER) for key in PLAYLIST_KEYS},
        "source": enum(["SCRAPE", "MANUAL"]),
        "enteredBy": nullable(STRING),
        "createdAt": DATE_TIME,
    }
)

_USER_SUMMARY = {
    "id": STRING,
    "username": STRING,
    "globalName": nullable(STRING),
    "avatar": nullable(STRING),
}

_CHECK = obj(
    {"status": enum(["up", "down"]), "error": STRING, "depth": INTEGER},
    optional=("error", "depth"),
)

_PLAYLIST_NUMBERS = obj({key: NUMBER for key in PLAYLIST_KEYS})

_SETTINGS_MMR = obj(
    {
        "algorithm": enum(ALGORITHMS),
        "weights": _PLAYLIST_NUMBERS,
        "minGamesPlayed": _PLAYLIST_NUMBERS,
        "ascendancyWeights": obj({"current": NUMBER, "peak": NUMBER}),
        "customFormula": nullable(STRING),
    }
)

_SETTINGS = obj(
    {
        "trackerProcessing": obj({"enabled": BOOLEAN}),
        "roles": obj({"admin": array(STRING)}),
        "mmrCalculation": _SETTINGS_MMR,
        "notifications": obj(
            {
                "webhookUrl": nullable(STRING),
                "minRatingChange": INTEGER,
                "notifyOnFailure": BOOLEAN,
            }
        ),
        "eligibility": obj(
            {
                "seasonsCounted": INTEGER,
                "minGames": {
                    "type": "object",
                    "properties": {k: INTEGER for k in (*PLAYLIST_KEYS, "combined")},
                    "additionalProperties": False,
                },
                "combinedPlaylists": array(enum(list(PLAYLIST_KEYS))),
            }
        ),
        "flags": obj(
            {
                "ratingDrop": INTEGER,
                "windowDays": INTEGER,
                "staleDays": INTEGER,
                "notify": BOOLEAN,
            }
        ),
    }
)

_MMR_INPUTS = obj(
    {
        **{key: nullable(NUMBER) for key in PLAYLIST_KEYS},
        **{f"{key}Games": nullable(NUMBER) for key in PLAYLIST_KEYS},
        **{f"{key}Peak": nullable(NUMBER) for key in PLAYLIST_KEYS},
    }
)

RESPONSES: dict[str, Schema] = {
    "Error": obj(
        {
            "statusCode": INTEGER,
            "timestamp": DATE_TIME,
            "path": STRING,
            "method": STRING,
            "message": STRING,
            "code": STRING,
            "errors": array(ref("FieldError")),
        },
        optional=("errors",),
    ),
    "FieldError": obj({"field": STRING, "message": STRING}),
    "Pagination": obj(_PAGINATION),
    "AdminPagination": obj({**_PAGINATION, "totalPages": INTEGER}),
    "Tracker": obj(TRACKER),
    "TrackerArray": array(ref("Tracker")),
    "TrackerPage": _page("Tracker", admin=False),
    "AdminTrackerPage": _page("Tracker", admin=True),
    "UserSummary": obj(_USER_SUMMARY),
    "PlaylistStats": _PLAYLIST,
    "Season": _SEASON,
    "SeasonArray": array(ref("Season")),
    "Snapshot": _SNAPSHOT,
    "SnapshotArray": array(ref("Snapshot")),
    "TrackerWithDetails": obj(
        {
            **TRACKER,
            "user": nullable(ref("UserSummary")),
            "snapshots": array(ref("Snapshot")),
            "seasons": array(ref("Season")),
        }
    ),
    "TrackerDetail": obj({"tracker": ref("Tracker"), "seasons": array(ref("Season"))}),
    "TrackerStatus": obj(
        {
            "status": enum(TRACKER_STATUSES),
            "error": nullable(STRING),
            "errorCategory": nullable(STRING),
            "lastScrapedAt": nullable(DATE_TIME),
            "attempts": INTEGER,
            "nextAttemptAt": nullable(DATE_TIME),
        }
    ),
    "RefreshResult": obj(
        {
            "message": STRING,
            "trackerId": STRING,
            "status": enum(TRACKER_STATUSES),
            "freshUntil": DATE_TIME,
        },
        optional=("freshUntil",),
    ),
    "Deleted": obj({"message": STRING, "id": STRING}),
    "ScrapingOverview": obj(
        {
            "total": INTEGER,
            "byStatus": obj({s: INTEGER for s in TRACKER_STATUSES}),
            "queueDepth": INTEGER,
            "etaMinutes": NUMBER,
        }
    ),
    "ScrapingLog": obj(
        {
            "id": STRING,
            "trackerId": STRING,
            "status": enum(["SUCCESS", "PARTIAL", "FAILED", "SKIPPED"]),
            "seasonsScraped": INTEGER,
            "seasonsFailed": INTEGER,
            "errorMessage": nullable(STRING),
            "errorCategory": nullable(STRING),
            "startedAt": DATE_TIME,
            "completedAt": DATE_TIME,
            "metadata": FREE_OBJECT,
        }
    ),
    "ScrapingLogPage": _page("ScrapingLog", admin=True),
    "ProcessResult": obj({"processed": INTEGER, "trackers": array(STRING)}),
    "BatchRefreshResult": obj({"message": STRING, "processed": INTEGER, "trackers": array(STRING)}),
    "Schedule": obj(
        {
            "id": STRING,
            "guildId": STRING,
            "scheduledAt": DATE_TIME,
            "status": enum(SCHEDULE_STATUSES),
            "createdBy": STRING,
            "executedAt": nullable(DATE_TIME),
            "errorMessage": nullable(STRING),
            "metadata": FREE_OBJECT,
            "result": nullable(FREE_OBJECT),
            "createdAt": DATE_TIME,
            "updatedAt": DATE_TIME,
        }
    ),
    "ScheduleArray": array(ref("Schedule")),
    "User": obj(
        {
            **_USER_SUMMARY,
            "email": nullable(STRING),
            "createdAt": DATE_TIME,
            "updatedAt": DATE_TIME,
        }
    ),
    "UserPage": _page("User", admin=False),
    "StaffRegistration": obj(
        {
            "user": ref("UserSummary"),
            "trackers": obj({"count": INTEGER, "items": array(ref("Tracker"))}),
        }
    ),
    "Guild": obj(
        {
            "id": STRING,
            "name": STRING,
            "icon": nullable(STRING),
            "ownerId": nullable(STRING),
            "memberCount": nullable(INTEGER),
            "isActive": BOOLEAN,
            "createdAt": DATE_TIME,
            "updatedAt": DATE_TIME,
        }
    ),
    "GuildSettings": _SETTINGS,
    "SyncResult": obj({"guild": ref("Guild"), "membersSynced": INTEGER}),
    "GuildMember": obj(
        {
            "guildId": STRING,
            "userId": STRING,
            "nickname": nullable(STRING),
            "roles": array(STRING),
            "isBanned": BOOLEAN,
            "isDeleted": BOOLEAN,
        }
    ),
    "Message": obj({"message": STRING}),
    "SettingsChange": obj(
        {
            "id": STRING,
            "guildId": STRING,
            "eventType": enum(["SETTINGS_UPDATED", "SETTINGS_RESET"]),
            "action": enum(["update", "reset"]),
            "userId": nullable(STRING),
            "changes": nullable(FREE_OBJECT),
            "timestamp": DATE_TIME,
        }
    ),
    "SettingsChangePage": _page("SettingsChange", admin=False),
    "Calculation": obj({"result": INTEGER, "algorithm": enum(ALGORITHMS), "config": _SETTINGS_MMR}),
    "FormulaCheck": obj(
        {"valid": BOOLEAN, "error": STRING, "variables": array(STRING)}, optional=("error",)
    ),
    "TrackerData": obj(
        {
            **{key: nullable(NUMBER) for key in PLAYLIST_KEYS},
            **{f"{key}GamesPlayed": nullable(NUMBER) for key in PLAYLIST_KEYS},
            **{f"{key}Peak": nullable(NUMBER) for key in PLAYLIST_KEYS},
        }
    ),
    "FormulaTest": obj(
        {
            "result": INTEGER,
            "valid": BOOLEAN,
            "error": STRING,
            "testData": ref("TrackerData"),
        },
        optional=("error",),
    ),
    "MmrInputs": _MMR_INPUTS,
    "Health": obj(
        {
            "status": enum(["ok", "error"]),
            "uptime": NUMBER,
            "mode": enum(["embedded", "production"]),
            "sandbox": BOOLEAN,
            "warning": STRING,
            "checks": obj({"database": _CHECK, "queue": _CHECK}),
        },
        optional=("warning",),
    ),
    "Metrics": {"type": "string", "description": "Prometheus text exposition format"},
    "OpenApi": {"type": "object", "description": "An OpenAPI 3.1 document"},
}
"""Component schemas of the answers, by the names the routes declare."""
