"""Markdown reference of the HTTP API (``docs/api.md``), rendered from the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

from entrypoints.http.openapi import build_document

Schema = dict[str, Any]

PREAMBLE = """\
# HTTP API reference

Generated from the OpenAPI document (`GET /openapi.json`) by `scripts/gen_api_docs.py`; a test
fails when this file is out of date. Do not edit it by hand.

## Conventions

- **Auth.** User routes (`/api/*`) take an RS256 JWT in `Authorization: Bearer <jwt>` or in the
  `auth_token` cookie. Admin routes also need the user id in `SYSTEM_ADMIN_USER_IDS`. Bot routes
  (`/internal/*`) take `Authorization: Bearer <BOT_API_KEY>`. A JWT is never a bot key and the bot
  key never works on `/api/*`.
- **CSRF.** A POST/PUT/PATCH/DELETE authenticated by the cookie alone must come from this site
  or `FRONTEND_URL` by its `Origin` (or `Referer`); without either header it must be a JSON
  request (or PUT/PATCH/DELETE); or it carries `X-CSRF-Token`. Otherwise it is 403
  `CSRF check failed…` (see docs/dashboard.md). Bearer-token requests are unaffected.
- **Errors** are `{statusCode, timestamp, path, method, message, code, errors?}`; request
  validation failures are 400 `Validation failed` with `errors: [{field, message}]`. Unknown body
  fields and unknown query parameters are rejected. A malformed tracker or schedule id in a path
  is 400 `Invalid CUID format: <value>`; guild and user ids must be Discord snowflakes.
- **Input limits**, checked before anything else reads the request, in every mode: a NUL
  character or a lone surrogate in any JSON key or string, in the path or in a query parameter;
  `NaN`, `Infinity`, `-Infinity` or a number beyond ±1e308 (`1e400`); JSON nested more than 64
  levels deep. Each is 400 `Validation failed` naming the field (`body` for the whole body), or
  `Request body must be valid JSON` for the non-JSON constants. Never a 500.
- **Statuses.** POST answers 201, GET/PUT/PATCH/DELETE 200, with two exceptions the bot
  relies on: a guild sync answers 200, and `POST /internal/guilds/upsert` answers 201 when it
  created the guild and 200 when it existed. User routes are throttled per client
  (`THROTTLE_LIMIT` per `THROTTLE_TTL` ms): 429 with `Retry-After`.
- **Lists** are `{data, pagination: {page, limit, total, pages}}` (admin lists add `totalPages`);
  `page` ≥ 1 (default 1), `limit` 1–100 (default 50). Query booleans are `true/false/1/0`.
- **JSON** keys are camelCase; timestamps are ISO 8601 UTC (`2026-01-01T12:00:00.000Z`). Users
  are embedded only as `{id, username, globalName, avatar}`. Interaction tokens, keys and OAuth
  tokens never appear in an answer.

## Decisions where the spec is silent

- Unknown query parameters are rejected like unknown body fields (400, `is not allowed`). POSTs
  without fields (refresh, process-pending, cancel) take an empty body or `{}`.
- A request whose only error is a malformed id answers that id's own message at the top level
  (`Guild ID must be a valid Discord snowflake ID (17-20 digits)`, `Invalid CUID format: x`);
  otherwise the message is `Validation failed`. User ids in paths and bodies must be snowflakes
  (`User ID must be a valid Discord snowflake ID (17-20 digits)`). Static segments are not ids:
  `PUT /api/trackers/register` is 405, not a malformed id.
- `platform` filters take the upper-case values of the answers (`STEAM`); `status` takes one
  status or a comma list. `includeCompleted` defaults to `true`.
- DELETE answers `{message, id}`. A refresh answers `{message, trackerId, status}` whose message
  says whether a job was queued or one was already queued or running (admin refresh says
  `Refresh job enqueued successfully` then). A COMPLETED tracker inside tracker.gg's cache
  window of its profile is not fetched again: the answer keeps `status: COMPLETED`, says
  `Tracker data is fresh: served from storage (tracker.gg's cache has not expired)` and adds
  `freshUntil` (see docs/fetching.md). `register-multiple` answers the tracker array, like
  `register`; guild processing answers `{processed, trackers}`; both guild syncs
  `{guild, membersSynced}`.
- `POST /internal/users` creates or updates the supplied fields (201 both ways);
  `POST /internal/guilds` is 409 `Guild <id> already exists` when it exists (`/guilds/upsert`
  is not).
- `GET /health` is 200 `{status: "ok"}` or 503 `{status: "error"}` when the database or the queue
  check fails; it carries `mode`, `sandbox` and, in sandbox mode, a loud `warning`. A failed
  check says only `Database unavailable` or `Job queue unavailable` (like every 503 answer):
  hosts, ports and driver errors are logged, never answered. Each API process reuses passing
  checks (and the queue depth they read) for at most `HEALTH_CACHE_SECONDS` (default 1 s; 0:
  every call checks); a failing check is never reused, so a recovery shows at once and an
  outage within that time.
- JWT: `sub` (a Discord snowflake, 17–20 digits) is required, `exp` is checked when present;
  `username` and `globalName` (at most 100 characters), `avatar` (255) and `email` (254), when
  strings, must be printable text (no NUL, control character or lone surrogate), else the token
  is 401 `Invalid token`. The `guilds` claim is not used (memberships come from the bot's sync).
  With no `JWT_PUBLIC_KEY` every token is `Invalid token`; with no `BOT_API_KEY` every key is
  `Invalid API key`.
- Throttling is a fixed window per user id (per address when unauthenticated, so failed logins
  are throttled too); bot routes are not throttled. If Redis is down the request is let through
  and a warning logged.
- Every mutating call is audited, including rejected ones (401, 400, 413): actor (user id, `bot`
  or none), method, path, status and the body with every key matching
  token/secret/password/key/authorization/cookie/webhook replaced by `[REDACTED]`. The stored
  body is a bounded summary (strings cut at 500 characters, lists and objects at 50 items and 16
  levels, NUL and lone surrogates replaced by U+FFFD); a body that is not acceptable JSON is
  stored as `{"_unparsed": <reason>, "bytes": <size>}`. An audit write that fails is logged and
  does not change the answer.
- With `FRONTEND_URL` set, `/api/*` answers CORS headers (credentials allowed) to that origin.
- A guild sync writes only the user fields it is given: the bot sends no `globalName` or
  `avatar`, so those stay as they were. Members absent from a sync leave (their rows are
  deleted; users and trackers stay). A sync with `guild` creates the guild or reactivates it;
  without `roles.admin` the admin roles are kept. `memberCount` accepts an integer or a string of
  digits.
- A member event for an unknown user creates the user. `PATCH` of a member changes only the
  supplied fields; `username` is the user's.
- Guild settings on the user side (`/api/guilds/:guildId/settings…`) are for holders of one of
  the guild's `roles.admin` roles and for system admins (403
  `Only admins of this guild can do this`). A reset keeps `roles.admin` (it mirrors Discord; the
  bot's sync sets it). The history lists the successful changes from both sides of the API,
  newest first, paged, from the audit log (bodies redacted as there): `action` `update` or
  `reset`, `userId` the actor (`bot` for the bot).
- `POST /api/calculator` is for any signed-in user; `calculate-mmr` for the guild's staff.
  `ascendancyData` counts each bracket's games of both seasons. `validate-formula` and
  `test-formula` are open to any signed-in user (pure, bounded computations);
  `validate-formula` answers the variables the formula reads.

## Clients

The league's Discord bot (`discord-bot`; its tracker commands as of the parent of commit
`3d9049c`) and web dashboard (`league-frontend`) call these routes. Each call below is replayed
with the body the client sends by `tests/integration/test_client_contract.py`.

- Bot start: `GET /internal/health`, then for every guild (`clientReady`)
  `POST /internal/guilds/:id/sync` `{guild, members, roles?}`.
- Bot joins or leaves a server: `POST /internal/guilds/upsert`, `DELETE /internal/guilds/:id`.
- Bot channel and staff guards: `GET /internal/guilds/:id/settings`.
- A member joins, changes or leaves: `POST /internal/guild-members`, `PATCH` and `DELETE`
  `/internal/guild-members/:guildId/users/:userId`.
- `/register`: `POST /internal/trackers/register-multiple`; `/add-tracker`:
  `POST /internal/trackers/add`; `/process-trackers`: `POST /internal/trackers/process`.
- Dashboard tracker pages: `GET /api/trackers/me`, `GET /api/trackers`,
  `POST /api/trackers/register`, `POST /api/trackers/add`, `GET /api/trackers/:id`,
  `GET /api/trackers/:id/detail`, `GET /api/trackers/:id/status`, `PUT` and
  `DELETE /api/trackers/:id`, and the refresh button `POST /api/trackers/:id/refresh`.
- Dashboard guild settings screen: `GET` and `PATCH /api/guilds/:guildId/settings`,
  `POST …/settings/reset`, `GET …/settings/history`.
- Dashboard MMR screen and demo calculator: `POST /api/calculator`,
  `POST /api/mmr-calculation/calculate-mmr`, `…/validate-formula`, `…/test-formula`.

Known client-side defects this service cannot fix:

- The dashboard's last build predates paged lists: it reads `GET /api/trackers/me` and
  `GET /api/trackers` as arrays, so it shows no trackers. The lists stay `{data, pagination}`
  (the current original's shape, which the bot and newer clients read).
- The dashboard's request wrapper passes the body of `post`/`patch`/`put` in axios' config slot,
  so those requests go out without a body: register, add, edit, settings save and the
  calculator reach us empty and get 400 (`Validation failed`, or
  `Either trackerData or ascendancyData must be provided`), never a silent no-op.
- The dashboard's settings draft sends keys the settings do not have (`formulaValidated`,
  channel lists): rejected with 400 naming the field.
- The bot's `/calculate-mmr-ascendancy` calls `POST /api/calculator` with the bot key and
  `rank2sCurrent`-style names; the route takes a user JWT and the `mmr2sCurrent` names, so it
  answers 401 as the original did.
- The bot's channel and staff guards read `*_command_channels` as lists of ids and a
  `staffRoles` key; the settings have neither, so every channel is allowed (the guards' default).
- The bot's own id check accepts 17–19 digits; snowflakes of 20 digits are accepted here.
"""

AUTH = {
    (): "none",
    ("bearerJwt", "cookieJwt"): "user JWT",
    ("botApiKey",): "bot API key",
}


def _name(schema: Schema) -> str:
    ref: str = schema["$ref"]
    return ref.rsplit("/", 1)[1]


def _type(schema: Schema) -> str:
    if "$ref" in schema:
        return f"`{_name(schema)}`"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " or ".join(str(k) for k in kinds)
    if "array" in kinds and "items" in schema:
        text = f"array of {_type(schema['items'])}" + (" or null" if "null" in kinds else "")
    if schema.get("format") == "date-time":
        text += " (date-time)"
    return text


def _limits(schema: Schema, prefix: str = "") -> str:
    parts = [
        f"{prefix}{key} `{schema[key]}`"
        for key in ("minLength", "maxLength", "minimum", "maximum", "maxItems", "pattern")
        if key in schema
    ]
    items = schema.get("items", {})
    if not prefix and isinstance(items, dict) and _limits(items, "items "):
        parts.append(_limits(items, "items "))
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default']).strip(chr(34))}`")
    if schema.get("writeOnly"):
        parts.append("write-only")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _fields(schema: Schema) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| Field | Type | Required | Constraints |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        yes = "yes" if name in required else "no"
        rows.append(f"| `{name}` | {_cell(_type(field))} | {yes} | {_cell(_limits(field))} |")
    return rows


def _parameters(parameters: list[Schema]) -> list[str]:
    if not parameters:
        return []
    rows = ["| Parameter | In | Type | Constraints |", "|---|---|---|---|"]
    for p in parameters:
        schema = p["schema"]
        rows.append(
            f"| `{p['name']}` | {p['in']} | {_cell(_type(schema))} | {_cell(_limits(schema))} |"
        )
    return [*rows, ""]


def _operation(method: str, path: str, op: Schema, schemas: dict[str, Schema]) -> list[str]:
    auth = AUTH[tuple(k for s in op["security"] for k in s)]
    lines = [f"### `{method.upper()} {path}`", "", f"{op['summary']}. Auth: {auth}.", ""]
    lines += _parameters(op["parameters"])
    if "requestBody" in op:
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        optional = "" if op["requestBody"]["required"] else " (optional)"
        lines += [f"Body{optional}: `{name}`", "", *_fields(schemas[name]), ""]
    answers = []
    for status, answer in op["responses"].items():
        ref = next(iter(answer["content"].values()))["schema"]["$ref"].rsplit("/", 1)[1]
        answers.append(f"`{status}` {ref}")
    lines += ["Answers: " + ", ".join(answers) + ".", ""]
    return lines


def render(document: Schema) -> str:
    """The Markdown reference of ``document``."""
    schemas: dict[str, Schema] = document["components"]["schemas"]
    lines = [PREAMBLE]
    for tag in (t["name"] for t in document["tags"]):
        lines += [f"## {tag}", ""]
        for path, operations in document["paths"].items():
            for method, op in operations.items():
                if op["tags"] == [tag]:
                    lines += _operation(method, path, op, schemas)
    lines += ["## Schemas", ""]
    for name, schema in schemas.items():
        if schema.get("type") == "object" and "properties" in schema:
            lines += [f"### `{name}`", "", *_fields(schema), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_current() -> str:
    """The reference of the API as this code serves it."""
    from entrypoints.http.app import all_routes

    return render(build_document(all_routes()))
