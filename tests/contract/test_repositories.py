"""The repository contract, run against the fake, SQLite and PostgreSQL (see conftest.py).

This module covers the unit of work itself, users and guilds; trackers and the history/work
records have their own modules.
"""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from tests.contract import aggregates as a
from tests.contract.aggregates import G1, G2, U1, U2, U3
from tests.contract.conftest import Backend
from tracker_core.errors import ConflictError
from tracker_core.guilds import GuildSettings
from tracker_core.ports import UnitOfWork

# --- unit of work -------------------------------------------------------------------------


def test_leaving_without_commit_rolls_back(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
    with uow:
        assert uow.users.get(U1) is None


def test_error_in_block_rolls_back_and_propagates(uow: UnitOfWork) -> None:
    with pytest.raises(ZeroDivisionError), uow:
        uow.users.add(a.user(U1))
        _ = 1 / 0
    with uow:
        assert uow.users.get(U1) is None


def test_rollback_discards_and_the_block_goes_on(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
        uow.rollback()
        assert uow.users.get(U1) is None
        uow.users.add(a.user(U2))
        uow.commit()
    with uow:
        assert uow.users.get(U1) is None
        assert uow.users.get(U2) is not None


def test_work_after_commit_needs_its_own_commit(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
        uow.commit()
        uow.users.add(a.user(U2))
    with uow:
        assert uow.users.get(U1) is not None
        assert uow.users.get(U2) is None


def test_next_id_is_cuid_shaped_and_unique(uow: UnitOfWork) -> None:
    ids = [uow.next_id() for _ in range(2000)]
    assert all(re.fullmatch(r"c[a-z0-9]{24}", i) for i in ids)
    assert len(set(ids)) == len(ids)


# --- users --------------------------------------------------------------------------------


def test_user_round_trip_and_duplicate_add(uow: UnitOfWork) -> None:
    original = a.user(U1, created_at=a.at(0).astimezone(a.PLUS_TWO))
    with uow:
        uow.users.add(original)
        uow.commit()
    with uow:
        loaded = uow.users.get(U1)
        assert loaded == original
        assert loaded is not None and loaded.created_at.utcoffset() is not None
        assert uow.users.get(U2) is None
        with pytest.raises(ConflictError):
            uow.users.add(a.user(U1, username="other"))


def test_user_save_is_compare_and_set(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
        uow.commit()
    with uow:
        first, stale = uow.users.get(U1), uow.users.get(U1)
        assert first is not None and stale is not None
        first.username, first.email = "renamed", None
        uow.users.save(first)
        assert first.version == 1
        stale.avatar = "lost update"
        with pytest.raises(ConflictError):
            uow.users.save(stale)
        uow.commit()
    with uow:
        assert uow.users.get(U1) == first


def test_user_list_pages_by_creation_and_delete(uow: UnitOfWork) -> None:
    ids = [f"33000000000000000{i}" for i in range(5)]
    with uow:
        for minute, user_id in reversed(list(enumerate(ids))):
            uow.users.add(a.user(user_id, minute=minute))
        uow.commit()
    with uow:
        page, total = uow.users.list(1, 2)
        assert [u.id for u in page] == ids[:2] and total == 5
        page, total = uow.users.list(3, 2)
        assert [u.id for u in page] == ids[4:] and total == 5
        uow.users.delete(ids[0])
        uow.users.delete("missing")
        uow.commit()
    with uow:
        page, total = uow.users.list(1, 10)
        assert [u.id for u in page] == ids[1:] and total == 4


def test_users_in_bulk(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
        uow.users.add_many([a.user(U2, username="two"), a.user(U1, username="not written")])
        uow.users.add_many([])
        uow.commit()
    with uow:
        assert {u.id for u in uow.users.get_many([U1, U2, U3, U1])} == {U1, U2}
        assert uow.users.get_many([]) == []
        one = uow.users.get(U1)
        assert one is not None and one.username == a.user(U1).username
        two = uow.users.get(U2)
        assert two is not None and two.username == "two"
        one.username, one.avatar, two.global_name = "renamed", None, "Two"
        uow.users.save_profiles([one, two])
        uow.users.save_profiles([])
        assert (one.version, two.version) == (1, 1)
        uow.commit()
    with uow:
        assert uow.users.get(U1) == one
        assert uow.users.get(U2) == two


def test_lock_works_for_existing_and_unknown_users(uow: UnitOfWork) -> None:
    with uow:
        uow.users.add(a.user(U1))
        uow.users.lock(U1)
        uow.users.lock("not-yet-created")
        uow.commit()
    with uow:
        assert uow.users.get(U1) is not None


# --- guilds -------------------------------------------------------------------------------


def test_guild_round_trip_compare_and_set_and_delete(uow: UnitOfWork) -> None:
    original = a.guild(G1)
    with uow:
        uow.guilds.add(original)
        uow.guilds.save_settings(G1, a.custom_settings())
        uow.guilds.replace_members(G1, [a.member(G1, U1)])
        uow.commit()
    with uow:
        loaded, stale = uow.guilds.get(G1), uow.guilds.get(G1)
        assert loaded == original and stale is not None
        with pytest.raises(ConflictError):
            uow.guilds.add(a.guild(G1))
        loaded.name, loaded.icon = "Renamed", None
        uow.guilds.save(loaded)
        with pytest.raises(ConflictError):
            uow.guilds.save(stale)
        uow.commit()
    with uow:
        assert uow.guilds.get(G1) == loaded
        uow.guilds.delete(G1)
        uow.commit()
    with uow:
        assert uow.guilds.get(G1) is None
        assert uow.guilds.members(G1) == []
        assert uow.guilds.settings(G1) == GuildSettings()


def test_guilds_are_listed_by_name_case_insensitively(uow: UnitOfWork) -> None:
    with uow:
        assert uow.guilds.list_all() == []
        second, first = a.guild(G1, name="beta league"), a.guild(G2, name="Alpha league")
        uow.guilds.add(second)
        uow.guilds.add(first)
        uow.commit()
    with uow:
        assert uow.guilds.list_all() == [first, second]


def test_guild_settings_default_then_round_trip(uow: UnitOfWork) -> None:
    with uow:
        uow.guilds.add(a.guild(G1))
        assert uow.guilds.settings(G1) == GuildSettings()
        uow.guilds.save_settings(G1, GuildSettings(admin_roles=("x",)))
        uow.guilds.save_settings(G1, a.custom_settings())
        uow.commit()
    with uow:
        assert uow.guilds.settings(G1) == a.custom_settings()


def test_members_are_replaced_as_a_set(uow: UnitOfWork) -> None:
    first = [
        a.member(G1, U2),
        a.member(G1, U1, roles=(), nickname=None),
        a.member(G1, U3, is_banned=True, is_deleted=True),
    ]
    with uow:
        uow.guilds.add(a.guild(G1))
        uow.guilds.add(a.guild(G2))
        uow.guilds.replace_members(G1, first)
        uow.guilds.replace_members(G2, [a.member(G2, U1, is_deleted=True)])
        uow.commit()
    with uow:
        assert uow.guilds.members(G1) == sorted(first, key=lambda m: m.user_id)
        assert uow.guilds.member(G1, U3) == first[2]
        assert uow.guilds.member(G2, U2) is None
        assert uow.guilds.memberships(U1) == [first[1]]
        assert uow.guilds.memberships(U3) == []
        uow.guilds.replace_members(G1, [a.member(G1, U3)])
        uow.commit()
    with uow:
        assert uow.guilds.members(G1) == [a.member(G1, U3)]
        assert uow.guilds.memberships(U3) == [a.member(G1, U3)]


def test_members_are_saved_and_removed_one_by_one(uow: UnitOfWork) -> None:
    with uow:
        uow.guilds.add(a.guild(G1))
        uow.guilds.save_member(a.member(G1, U1))
        uow.guilds.save_member(a.member(G1, U2))
        uow.guilds.save_member(a.member(G1, U1, roles=("9",), nickname="new"))
        uow.commit()
    with uow:
        assert uow.guilds.member(G1, U1) == a.member(G1, U1, roles=("9",), nickname="new")
        assert uow.guilds.remove_member(G1, U2) is True
        assert uow.guilds.remove_member(G1, U2) is False
        assert uow.guilds.remove_member(G2, U1) is False
        uow.commit()
    with uow:
        assert [m.user_id for m in uow.guilds.members(G1)] == [U1]


def test_settings_by_user_lists_current_guilds_only(uow: UnitOfWork) -> None:
    with uow:
        uow.guilds.add(a.guild(G1))
        uow.guilds.add(a.guild(G2))
        uow.guilds.save_settings(G1, a.custom_settings())
        uow.guilds.replace_members(G1, [a.member(G1, U1), a.member(G1, U2, is_banned=True)])
        uow.guilds.replace_members(G2, [a.member(G2, U1)])
        uow.commit()
    with uow:
        found = uow.guilds.settings_by_user([U1, U2, U3])
        assert found == {U1: [a.custom_settings(), GuildSettings()]}
        assert uow.guilds.settings_by_user([]) == {}


def test_timestamps_come_back_aware_utc(backend: Backend) -> None:
    uow = backend.uow
    with uow:
        uow.users.add(a.user(U1, created_at=a.at(0).astimezone(a.PLUS_TWO)))
        uow.commit()
    with uow:
        loaded = uow.users.get(U1)
    assert loaded is not None and loaded.created_at == a.at(0)
    if backend.name != "fake":
        assert loaded.created_at.tzinfo == UTC
