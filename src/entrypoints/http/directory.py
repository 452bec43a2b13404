"""Bot endpoints ``/internal`` (bot API key): users and staff registration."""

from __future__ import annotations

from entrypoints.http import deps
from entrypoints.http.internal import profile
from entrypoints.http.requests import (
    CreateUserBody,
    PageQuery,
    StaffRegisterBody,
    UserData,
)
from entrypoints.http.routing import RouteTable
from entrypoints.responses import api as res
from tracker_core.errors import ConflictError, ForbiddenError, NotFoundError, RuleViolationError
from tracker_core.guilds import UserProfile
from tracker_core.use_cases import guilds as uc
from tracker_core.use_cases.trackers import RegisterTrackers

ROUTES = RouteTable("directory", "/internal", "bot", "Bot")
USER_DELETED = "User deleted successfully"
USER = "/users/<except('register-by-staff'):userId>"


@ROUTES.route("GET", "/users", summary="Users, paged", response="UserPage", query=PageQuery)
def users(query: PageQuery) -> res.UserPage:
    """Every user, oldest first."""
    found, total = deps.use_cases().list_users(query.page, query.limit)
    return res.UserPage(
        [res.user(u) for u in found], res.pagination(total, query.page, query.limit)
    )


@ROUTES.route(
    "POST",
    "/users",
    summary="Create a user (or update the supplied fields)",
    response="User",
    body=CreateUserBody,
    errors=(ConflictError,),
)
def create_user(body: CreateUserBody) -> res.User:
    """The saved user."""
    data = UserProfile(
        username=body.username, global_name=body.global_name, avatar=body.avatar, email=body.email
    )
    return res.user(deps.use_cases().save_user(body.id, data))


@ROUTES.route("GET", USER, summary="One user", response="User", errors=(NotFoundError,))
def user(userId: str) -> res.User:
    """The user."""
    return res.user(deps.use_cases().get_user(userId))


@ROUTES.route(
    "PATCH",
    USER,
    summary="Update the supplied fields of a user",
    response="User",
    body=UserData,
    errors=(NotFoundError, ConflictError),
)
def update_user(userId: str, body: UserData) -> res.User:
    """The updated user."""
    data = UserProfile(
        username=body.username, global_name=body.global_name, avatar=body.avatar, email=body.email
    )
    return res.user(deps.use_cases().update_user(userId, data))


@ROUTES.route(
    "DELETE",
    USER,
    summary="Delete a user (trackers soft-deleted, memberships dropped)",
    response="Deleted",
    errors=(NotFoundError, ConflictError),
)
def delete_user(userId: str) -> res.Deleted:
    """``{message, id}``."""
    gone = deps.use_cases().delete_user(userId)
    return res.Deleted(USER_DELETED, gone.id)


@ROUTES.route(
    "POST",
    "/users/register-by-staff",
    summary="A guild admin registers trackers for a member",
    response="StaffRegistration",
    body=StaffRegisterBody,
    errors=(NotFoundError, ForbiddenError, RuleViolationError, ConflictError),
)
def register_by_staff(body: StaffRegisterBody) -> res.StaffRegistration:
    """``{user, trackers: {count, items}}``."""
    cmd = uc.RegisterByStaff(
        staff_user_id=body.staff_user_id,
        guild_id=body.guild_id,
        register=RegisterTrackers(
            user_id=body.user_id,
            urls=tuple(body.urls),
            profile=profile(body.user_data),
            channel_id=body.channel_id,
            interaction_token=body.interaction_token,
        ),
    )
    found, trackers = deps.use_cases().register_by_staff(cmd)
    return res.staff_registration(found, trackers)
