"""Response schemas of the league endpoints (standings, eligibility, numbers pulls)."""

from __future__ import annotations

from entrypoints.http.schemas import (
    ALGORITHMS,
    BOOLEAN,
    DATE_TIME,
    FREE_OBJECT,
    INTEGER,
    STRING,
    Schema,
    array,
    enum,
    nullable,
    obj,
    ref,
)
from tracker_core.flags import FLAG_KINDS

GAMES = obj({key: INTEGER for key in ("ones", "twos", "threes", "fours", "combined")})
ELIGIBILITY = obj({"eligible": BOOLEAN, "reasons": array(STRING), "games": GAMES})
_PAGINATION = {"page": INTEGER, "limit": INTEGER, "total": INTEGER, "pages": INTEGER}
_MEMBER_MMR = {"userId": STRING, "mmr": nullable(INTEGER)}

RESPONSES: dict[str, Schema] = {
    "Eligibility": ELIGIBILITY,
    "Standing": obj(
        {
            "guildId": STRING,
            "userId": STRING,
            "trackerId": STRING,
            "mmr": INTEGER,
            "algorithm": enum(ALGORITHMS),
            "inputs": ref("MmrInputs"),
            "calculatedAt": DATE_TIME,
            "dataAt": nullable(DATE_TIME),
            "stale": BOOLEAN,
            "bestTrackerReason": STRING,
            "eligibility": ref("Eligibility"),
            "flags": array(enum(list(FLAG_KINDS))),
        }
    ),
    "StandingArray": array(ref("Standing")),
    "MemberEligibility": obj(
        {
            "guildId": STRING,
            "userId": STRING,
            "eligible": BOOLEAN,
            "reasons": array(STRING),
            "games": GAMES,
            "seasonsCounted": INTEGER,
            "trackerId": nullable(STRING),
            "mmr": nullable(INTEGER),
        }
    ),
    "Pull": obj(
        {
            "id": STRING,
            "guildId": STRING,
            "number": INTEGER,
            "name": STRING,
            "note": nullable(STRING),
            "createdBy": nullable(STRING),
            "createdAt": DATE_TIME,
            "memberCount": INTEGER,
            "settings": FREE_OBJECT,
        }
    ),
    "PullArray": array(ref("Pull")),
    "PullOverride": obj(
        {"mmr": INTEGER, "reason": STRING, "actor": STRING, "createdAt": DATE_TIME}
    ),
    "PullRow": obj(
        {
            "userId": STRING,
            "trackerId": nullable(STRING),
            "mmr": nullable(INTEGER),
            "effectiveMmr": nullable(INTEGER),
            "algorithm": enum(ALGORITHMS),
            "inputs": nullable(ref("MmrInputs")),
            "eligibility": ref("Eligibility"),
            "dataAt": nullable(DATE_TIME),
            "dataAgeSeconds": nullable(INTEGER),
            "stale": BOOLEAN,
            "bestTrackerReason": nullable(STRING),
            "override": nullable(ref("PullOverride")),
            "flags": array(enum(list(FLAG_KINDS))),
        }
    ),
    "PullPage": obj(
        {"pull": ref("Pull"), "data": array(ref("PullRow")), "pagination": obj(_PAGINATION)}
    ),
    "PullCsv": {"type": "string", "description": "CSV, one row per member, with a header"},
    "PullDiff": obj(
        {
            "a": ref("Pull"),
            "b": ref("Pull"),
            "moved": array(
                obj(
                    {
                        "userId": STRING,
                        "before": nullable(INTEGER),
                        "after": nullable(INTEGER),
                        "delta": nullable(INTEGER),
                    }
                )
            ),
            "appeared": array(obj(_MEMBER_MMR)),
            "disappeared": array(obj(_MEMBER_MMR)),
            "unchanged": INTEGER,
        }
    ),
    "Flag": obj(
        {
            "id": STRING,
            "guildId": STRING,
            "userId": STRING,
            "kind": enum(list(FLAG_KINDS)),
            "trackerId": nullable(STRING),
            "detail": STRING,
            "data": FREE_OBJECT,
            "raisedAt": DATE_TIME,
            "status": enum(["open", "resolved"]),
            "resolution": {"anyOf": [enum(["confirmed", "dismissed"]), {"type": "null"}]},
            "note": nullable(STRING),
            "resolvedBy": nullable(STRING),
            "resolvedAt": nullable(DATE_TIME),
        }
    ),
    "FlagArray": array(ref("Flag")),
    "ManualRating": obj(
        {"snapshot": ref("Snapshot"), "evidenceUrl": nullable(STRING), "note": STRING}
    ),
    "OwnPullRow": obj({"guildId": STRING, "pull": ref("Pull"), "row": ref("PullRow")}),
    "OwnPullRowArray": array(ref("OwnPullRow")),
}
