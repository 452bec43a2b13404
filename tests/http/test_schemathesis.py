"""Property-based API tests: schemathesis drives every operation of ``/openapi.json``.

The app runs on in-memory fakes with a bot key and a JWT of a system admin, so every route is
reachable. The default run is schemathesis' fuzzing phase, positive and negative data, bounded
to 10 cases per operation (about 450 in all, a few seconds): no 5xx, every status and body
conforms to the document, schema-violating requests are rejected. ``SCHEMATHESIS_COVERAGE=1``
adds the exhaustive coverage phase (boundary values, undeclared methods, missing auth; about
2000 more cases, half a minute).

Negative data may also be rejected with 413 (an over-long value can exceed the body limit).
``positive_data_acceptance`` is off: a schema-valid body may still break a domain rule (a URL
that is no TRN profile, a fifth tracker), which is a documented 400, not a defect. The schema
is loaded at import because schemathesis' fixture-based loader does not support pytest 9.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from tests.http.conftest import ADMIN, BOT_KEY, USER, build_env, session_keys
from tests.profiles import examples

COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"


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


def check(case: Any) -> None:
    """Call the app with the right credentials and run schemathesis' checks."""
    response = case.call_and_validate(
        headers=credentials(case.path), excluded_checks=[positive_data_acceptance]
    )
    assert response.status_code < 500, response.text


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
