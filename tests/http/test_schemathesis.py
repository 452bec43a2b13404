"""Property-based API tests: schemathesis drives every operation of ``/openapi.json``.

The app runs on in-memory fakes with a bot key and a JWT of a system admin, so every route is
reachable. The default run is schemathesis' fuzzing phase, positive and negative data, bounded
to 10 cases per operation (about 450 in all, a few seconds): no 5xx, every status and body
conforms to the document, schema-violating requests are rejected. ``SCHEMATHESIS_COVERAGE=1``
adds the exhaustive coverage phase (boundary values, undeclared methods, missing auth; about
2000 more cases, half a minute).

The slow lane also fuzzes the app backed by a real PostgreSQL database (created by the test),
``SCHEMATHESIS_PG_EXAMPLES`` (default 100) cases per operation: PostgreSQL refuses inputs the
fakes take (NUL, lone surrogates), so only this run can see the 500s they used to cause.
Its stateful phase runs there too: schemathesis infers the links between operations from the
document (a created tracker, user, guild or schedule is then read, changed, cancelled or deleted
by the operations that take its id), ``SCHEMATHESIS_STATEFUL_EXAMPLES`` (default 100) scenarios
of up to 10 calls, with the stateful checks (a created resource can be read, a deleted one is
gone) besides the others.

Negative data may also be rejected with 413 (an over-long value can exceed the body limit).
``positive_data_acceptance`` is off: a schema-valid body may still break a domain rule (a URL
that is no TRN profile, a fifth tracker), which is a documented 400, not a defect. The schema
is loaded at import because schemathesis' fixture-based loader does not support pytest 9.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth
from sqlalchemy import text

from adapters.sql.migrate import upgrade_database
from adapters.sql.tables import metadata
from entrypoints.container import Container
from tests.http.conftest import ADMIN, BOT_KEY, GUILD, USER, Env, build_env, session_keys
from tests.pg import fresh_database
from tests.profiles import examples

COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"
PG_EXAMPLES = int(os.environ.get("SCHEMATHESIS_PG_EXAMPLES", "100"))
STATEFUL_EXAMPLES = int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "100"))


def _fuzzed_app() -> Any:
    """One app for the whole run, seeded with a guild and a tracker, never throttling."""
    env = build_env(session_keys(), throttle_limit=1_000_000)
    env.add_guild(members={ADMIN: ()})
    env.register(USER, "seeded")
    return env.app


REJECTIONS = ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]


def _schema(coverage: bool) -> Any:
    config = SchemathesisConfig.from_dict(
        {
            "phases": {"coverage": {"enabled": coverage}},
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
        }
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", _fuzzed_app(), config=config)


fuzzing = _schema(coverage=False)
exhaustive = _schema(coverage=True)


def credentials(path: str) -> dict[str, str]:
    """The bot key on ``/internal``, a system admin's JWT on ``/api``, nothing elsewhere."""
    if path.startswith("/internal"):
        return {"Authorization": f"Bearer {BOT_KEY}"}
    if path.startswith("/api"):
        return {"Authorization": f"Bearer {session_keys().token(ADMIN, expires_in=3600)}"}
    return {}


def check(case: Any, **kwargs: Any) -> None:
    """Call the app (or ``app=``) with the right credentials and run schemathesis' checks."""
    response = case.call_and_validate(
        headers=credentials(case.path), excluded_checks=[positive_data_acceptance], **kwargs
    )
    assert response.status_code < 500, response.text


def _sql_backed(container: Container) -> None:
    container.uow.reset_override()


def _seed(env: Env) -> None:
    """The guild, its member and a tracker, through the API like the fuzzed app's."""
    bot = {"Authorization": f"Bearer {BOT_KEY}"}
    created = env.client.post("/internal/guilds", headers=bot, json={"id": GUILD, "name": "L"})
    assert created.status_code == 201, created.get_json()
    members = {"members": [{"userId": ADMIN, "roles": []}]}
    synced = env.client.post(f"/internal/guilds/{GUILD}/sync", headers=bot, json=members)
    assert synced.status_code == 200, synced.get_json()
    env.register(USER, "seeded")


def _reset(env: Env) -> None:
    """Every table emptied and seeded again: each stateful scenario starts from the same state,
    as hypothesis requires to replay one."""
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with env.container.engine().begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    _seed(env)


@pytest.fixture(scope="module")
def postgres_env() -> Iterator[Env]:
    """The app on a fresh PostgreSQL database, seeded."""
    with fresh_database("tracker_fuzz") as url:
        upgrade_database(url)
        env = build_env(session_keys(), _sql_backed, throttle_limit=1_000_000, database_url=url)
        _seed(env)
        yield env
        env.container.engine().dispose()


@fuzzing.parametrize()
@settings(max_examples=examples(10), deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case: Any) -> None:
    check(case)


@pytest.mark.slow
@pytest.mark.skipif(not COVERAGE, reason="set SCHEMATHESIS_COVERAGE=1 for the coverage phase")
@exhaustive.parametrize()
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_coverage_phase(case: Any) -> None:
    check(case)


@pytest.mark.slow
@pytest.mark.postgres
@fuzzing.parametrize()
@settings(max_examples=PG_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_on_postgresql_conforms_and_never_answers_5xx(case: Any, postgres_env: Env) -> None:
    check(case, app=postgres_env.app)


@pytest.mark.slow
@pytest.mark.postgres
def test_stateful_workflows_on_postgresql_never_answer_5xx(postgres_env: Env) -> None:
    workflow = fuzzing.as_state_machine()
    calls: list[str] = []

    class OnPostgres(workflow):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            _reset(postgres_env)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            calls.append(f"{case.method} {case.path}")
            return {"headers": credentials(case.path), "app": postgres_env.app}

        def validate_response(
            self,
            response: Any,
            case: Any,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            assert response.status_code < 500, response.text
            case.validate_response(
                response,
                additional_checks=additional_checks,
                # every call carries valid credentials, so "generated auth was ignored" cannot
                # hold; refusing bad credentials is tested in test_auth.py and the coverage phase
                excluded_checks=[positive_data_acceptance, ignored_auth],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        OnPostgres,
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # scenarios went on from their first call along the inferred links
    assert len(calls) > 2 * STATEFUL_EXAMPLES, len(calls)
