"""The "what changed" read model: notification texts of a tracker, once each, read rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract import aggregates as a
from tests.fakes import FakeUnitOfWork

from tracker_core.errors import ForbiddenError, NotFoundError
from tracker_core.use_cases.queries import Viewer, list_tracker_changes

OWNER = "500000000000000005"
STRANGER = "600000000000000099"
TRACKER = "ctracker000000000000000001"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    store = uow.committed
    store.trackers[TRACKER] = a.tracker(TRACKER, OWNER, "seed")
    for i, channel in enumerate(("DISCORD_DM", "WEBHOOK")):
        store.notifications[f"cn-first-{i}"] = a.notification(
            f"cn-first-{i}", TRACKER, 0, channel=channel, message="now tracked", user_id=OWNER
        )
    for minute in range(1, 6):
        store.notifications[f"cn-{minute}"] = a.notification(
            f"cn-{minute}", TRACKER, minute, message=f"update {minute}", user_id=OWNER
        )
    return uow


def test_each_text_once_newest_first_within_the_limit(uow: FakeUnitOfWork) -> None:
    changes = list_tracker_changes(Viewer(OWNER), TRACKER, 10, uow=uow)
    assert [c.message for c in changes] == [f"update {m}" for m in range(5, 0, -1)] + [
        "now tracked"
    ]
    assert changes[0].at - changes[1].at == timedelta(minutes=1)
    assert len(list_tracker_changes(Viewer(OWNER), TRACKER, 2, uow=uow)) == 2


def test_the_read_rule_applies(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ForbiddenError):
        list_tracker_changes(Viewer(STRANGER), TRACKER, 10, uow=uow)
    assert list_tracker_changes(Viewer(STRANGER, is_system_admin=True), TRACKER, 1, uow=uow)
    with pytest.raises(NotFoundError):
        list_tracker_changes(Viewer(OWNER), "c" + "9" * 24, 10, uow=uow)
