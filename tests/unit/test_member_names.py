"""Members' display names on the staff pages: which name wins, and who may read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fakes import FakeUnitOfWork

from tracker_core.errors import ForbiddenError, NotFoundError
from tracker_core.guilds import Guild, GuildMember, GuildSettings, User
from tracker_core.use_cases.queries import Viewer
from tracker_core.use_cases.roster import display_name, member_names

GUILD = "100000000000000001"
ADMIN, NICK, GLOBAL, PLAIN, GONE, UNKNOWN, MEMBER = (f"{n}" * 18 for n in "1234567")
AT = datetime(2026, 12, 1, tzinfo=UTC)

names = st.none() | st.text(max_size=8)


@given(nickname=names, global_name=names, username=st.text(max_size=8), known=st.booleans())
def test_the_nickname_wins_then_the_global_name_then_the_username(
    nickname: str | None, global_name: str | None, username: str, known: bool
) -> None:
    user = User(id=ADMIN, username=username, global_name=global_name, created_at=AT, updated_at=AT)
    found = display_name(user if known else None, nickname)
    expected = nickname or ((global_name or username) if known else None) or None
    assert found == expected


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        uow.guilds.add(Guild(id=GUILD, name="L", created_at=AT, updated_at=AT))
        uow.guilds.save_settings(GUILD, GuildSettings(admin_roles=("staff",)))
        uow.guilds.replace_members(
            GUILD,
            [
                GuildMember(guild_id=GUILD, user_id=ADMIN, roles=("staff",)),
                GuildMember(guild_id=GUILD, user_id=NICK, nickname="Nick"),
                GuildMember(guild_id=GUILD, user_id=GLOBAL),
                GuildMember(guild_id=GUILD, user_id=PLAIN),
                GuildMember(guild_id=GUILD, user_id=GONE, nickname="Was here", is_deleted=True),
                GuildMember(guild_id=GUILD, user_id=MEMBER),
            ],
        )
        uow.users.add(User(id=NICK, username="nick_u", created_at=AT, updated_at=AT))
        uow.users.add(
            User(id=GLOBAL, username="g_u", global_name="Global", created_at=AT, updated_at=AT)
        )
        uow.users.add(User(id=PLAIN, username="plain_u", created_at=AT, updated_at=AT))
        uow.commit()
    return uow


def test_staff_get_the_names_they_ask_for_and_none_for_unknown_ids(uow: FakeUnitOfWork) -> None:
    asked = [NICK, GLOBAL, PLAIN, GONE, UNKNOWN, NICK]
    assert member_names(Viewer(ADMIN), GUILD, asked, uow=uow) == {
        NICK: "Nick",
        GLOBAL: "Global",
        PLAIN: "plain_u",
        GONE: "Was here",  # a former member keeps the nickname they had here
    }
    assert member_names(Viewer(MEMBER, True), GUILD, [PLAIN], uow=uow) == {PLAIN: "plain_u"}
    assert member_names(Viewer(ADMIN), GUILD, [], uow=uow) == {}


def test_names_are_for_the_guild_s_staff_only(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ForbiddenError):
        member_names(Viewer(MEMBER), GUILD, [PLAIN], uow=uow)
    with pytest.raises(ForbiddenError):  # even with nothing to name
        member_names(Viewer(MEMBER), GUILD, [], uow=uow)
    with pytest.raises(NotFoundError):
        member_names(Viewer(ADMIN), "100000000000000009", [PLAIN], uow=uow)
