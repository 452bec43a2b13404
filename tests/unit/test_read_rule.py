"""SPEC §2.3.4 read rule and §2.3.5 soft delete, through the query use cases."""

from __future__ import annotations

import pytest
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock

from tracker_core.errors import ForbiddenError, NotFoundError
from tracker_core.guilds import Guild, GuildMember, GuildSettings
from tracker_core.model import TrackerQuery
from tracker_core.policy import Policy
from tracker_core.use_cases.processing import claim_tracker, process_pending
from tracker_core.use_cases.queries import (
    READ_DENIED,
    Viewer,
    get_tracker_detail,
    list_guild_trackers,
    list_user_trackers,
)
from tracker_core.use_cases.trackers import RegisterTrackers, delete_tracker, register_trackers

URL = "https://rocketleague.tracker.network/rocket-league/profile/psn/{}/overview"
GUILD = "100000000000000001"
OWNER, ADMIN, MEMBER, STRANGER = "1", "2", "3", "4"


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> str:
    with uow:
        uow.guilds.add(Guild(id=GUILD, name="L", created_at=clock.now(), updated_at=clock.now()))
        uow.guilds.save_settings(GUILD, GuildSettings(admin_roles=("staff",)))
        uow.guilds.replace_members(
            GUILD,
            [
                GuildMember(guild_id=GUILD, user_id=OWNER),
                GuildMember(guild_id=GUILD, user_id=ADMIN, roles=("staff",)),
                GuildMember(guild_id=GUILD, user_id=MEMBER, roles=("player",)),
            ],
        )
        uow.commit()
    [tracker] = register_trackers(
        RegisterTrackers(user_id=OWNER, urls=(URL.format("p"),)),
        uow=uow,
        queue=FakeQueue(),
        clock=clock,
        policy=Policy(),
    )
    return tracker.id


@pytest.mark.parametrize("viewer", [Viewer(OWNER), Viewer(ADMIN), Viewer(STRANGER, True)])
def test_owner_guild_admin_and_system_admin_may_read(uow, world, viewer):
    assert get_tracker_detail(viewer, world, uow=uow).tracker.id == world
    assert list_user_trackers(viewer, OWNER, TrackerQuery(), uow=uow)[1] == 1


@pytest.mark.parametrize("viewer", [Viewer(MEMBER), Viewer(STRANGER)])
def test_others_may_not_read(uow, world, viewer):
    with pytest.raises(ForbiddenError) as err:
        get_tracker_detail(viewer, world, uow=uow)
    assert (
        str(err.value)
        == READ_DENIED
        == ("You can only view trackers for yourself or members of guilds where you are an admin")
    )
    with pytest.raises(ForbiddenError):
        list_guild_trackers(viewer, GUILD, TrackerQuery(), uow=uow)


def test_a_banned_admin_loses_the_right(uow, world, clock):
    with uow:
        uow.guilds.replace_members(
            GUILD,
            [
                GuildMember(guild_id=GUILD, user_id=OWNER),
                GuildMember(guild_id=GUILD, user_id=ADMIN, roles=("staff",), is_banned=True),
            ],
        )
        uow.commit()
    with pytest.raises(ForbiddenError):
        get_tracker_detail(Viewer(ADMIN), world, uow=uow)


def test_guild_admin_lists_the_members_trackers(uow, world):
    trackers, total = list_guild_trackers(Viewer(ADMIN), GUILD, TrackerQuery(), uow=uow)
    assert total == 1 and trackers[0].id == world


def test_deleted_trackers_are_404_unlisted_and_never_processed(uow, world, clock):
    delete_tracker(OWNER, world, uow=uow, clock=clock)
    with pytest.raises(NotFoundError, match="^Tracker not found$"):
        get_tracker_detail(Viewer(OWNER), world, uow=uow)
    assert list_user_trackers(Viewer(OWNER), OWNER, TrackerQuery(), uow=uow) == ([], 0)
    assert process_pending(uow=uow, queue=FakeQueue(), clock=clock).processed == 0
    assert claim_tracker(world, uow=uow, clock=clock, policy=Policy()) is None
