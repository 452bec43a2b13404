"""Membership as a property: any interleaving of the bot's full syncs and member events leaves
the stored membership set equal to a simple model, and admin rights follow ``roles.admin``."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.fakes import FakeUnitOfWork, FixedClock
from tests.profiles import examples

from tracker_core.errors import ForbiddenError, NotFoundError
from tracker_core.guilds import UserProfile, is_guild_admin
from tracker_core.use_cases.guilds import GuildData, get_settings
from tracker_core.use_cases.members import (
    MemberData,
    SyncGuild,
    UpdateMember,
    add_member,
    remove_member,
    sync_guild,
    update_member,
)
from tracker_core.use_cases.queries import Viewer

GUILD = "100000000000000001"
USERS = st.sampled_from([f"20000000000000000{i}" for i in range(5)])
ROLES = st.sampled_from(["300000000000000001", "300000000000000002", "300000000000000003"])
ROLE_SETS = st.lists(ROLES, max_size=2, unique=True).map(tuple)


class Membership(RuleBasedStateMachine):
    """The model: user id → roles of the guild's members, and the admin role set."""

    def __init__(self) -> None:
        super().__init__()
        self.uow = FakeUnitOfWork()
        self.clock = FixedClock()
        self.exists = False
        self.members: dict[str, tuple[str, ...]] = {}
        self.admin_roles: tuple[str, ...] = ()

    @rule(
        members=st.dictionaries(USERS, ROLE_SETS, max_size=5),
        admin=st.one_of(st.none(), ROLE_SETS),
        with_guild=st.booleans(),
    )
    def full_sync(
        self, members: dict[str, tuple[str, ...]], admin: tuple[str, ...] | None, with_guild: bool
    ) -> None:
        cmd = SyncGuild(
            guild_id=GUILD,
            members=tuple(
                MemberData(user_id=u, roles=r, profile=UserProfile(username=f"u{u[-1]}"))
                for u, r in members.items()
            ),
            guild=GuildData(name="League", owner_id=GUILD) if with_guild else None,
            admin_roles=admin,
        )
        try:
            sync_guild(cmd, uow=self.uow, clock=self.clock)
        except NotFoundError:
            assert not self.exists and not with_guild
            return
        self.exists = True
        self.members = dict(members)
        if admin is not None:
            self.admin_roles = admin

    @rule(user=USERS, roles=ROLE_SETS)
    def join(self, user: str, roles: tuple[str, ...]) -> None:
        data = MemberData(user_id=user, roles=roles, profile=UserProfile(username="joiner"))
        try:
            add_member(GUILD, data, uow=self.uow, clock=self.clock)
        except NotFoundError:
            assert not self.exists
            return
        self.members[user] = roles

    @rule(user=USERS, roles=st.one_of(st.none(), ROLE_SETS))
    def update(self, user: str, roles: tuple[str, ...] | None) -> None:
        cmd = UpdateMember(guild_id=GUILD, user_id=user, roles=roles, nickname="n")
        try:
            update_member(cmd, uow=self.uow, clock=self.clock)
        except NotFoundError:
            assert user not in self.members
            return
        if roles is not None:
            self.members[user] = roles

    @rule(user=USERS)
    def leave(self, user: str) -> None:
        try:
            remove_member(GUILD, user, uow=self.uow)
        except NotFoundError:
            assert user not in self.members
            return
        del self.members[user]

    @invariant()
    def stored_membership_is_the_model(self) -> None:
        stored = {u: m.roles for (g, u), m in self.uow.committed.members.items() if g == GUILD}
        assert stored == self.members
        assert set(self.members) <= set(self.uow.committed.users)

    @invariant()
    def admin_rights_follow_the_admin_roles(self) -> None:
        if not self.exists:
            return
        settings_ = self.uow.committed.settings.get(GUILD)
        assert (settings_.admin_roles if settings_ else ()) == self.admin_roles
        for user, roles in self.members.items():
            expected = bool(set(roles) & set(self.admin_roles))
            member = self.uow.committed.members[(GUILD, user)]
            assert is_guild_admin(member, settings_ or get_settings(GUILD, uow=self.uow)) is (
                expected
            )
            allowed = True
            try:
                get_settings(GUILD, uow=self.uow, viewer=Viewer(user))
            except ForbiddenError:
                allowed = False
            assert allowed is expected


TestMembership = Membership.TestCase
TestMembership.settings = settings(max_examples=examples(60), stateful_step_count=25, deadline=None)
