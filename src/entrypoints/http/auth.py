"""User auth (RS256 JWT from the header or the ``auth_token`` cookie) and bot auth (API key).

Only RS256 is accepted: ``none``, HS256 (also when signed with the public key as secret) and
every other algorithm are rejected by PyJWT before the signature is even looked at.

A process remembers the users of the tokens it has verified (:class:`VerifiedTokens`), so a
client sending the same token again costs a dictionary lookup and an expiry check instead of
base64 decoding and an RSA verification.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import request

from entrypoints.config import ConfigError
from tracker_core.errors import ForbiddenError, UnauthorizedError
from tracker_core.guilds import UserProfile
from tracker_core.use_cases.queries import Viewer

AUTH_REQUIRED = "Authentication required"
INVALID_TOKEN = "Invalid token"
TOKEN_EXPIRED = "Token has expired"
MISSING_HEADER = "Missing authorization header"
INVALID_API_KEY = "Invalid API key"
ADMIN_REQUIRED = (
    "System admin access required - your user ID must be configured as a system administrator"
)
COOKIE = "auth_token"
_PROFILE_CLAIMS = {
    "username": "username",
    "globalName": "global_name",
    "avatar": "avatar",
    "email": "email",
}
_CLAIM_LENGTHS = {"username": 100, "globalName": 100, "avatar": 255, "email": 254}
"""Longest accepted value of each profile claim (they are stored on the user row)."""
_SUB = re.compile(r"\d{17,20}")


@attrs.frozen
class Principal:
    """The authenticated user: id, system-admin flag and the profile fields of the token."""

    user_id: str
    is_system_admin: bool
    profile: UserProfile

    @property
    def viewer(self) -> Viewer:
        """The read-rule identity of this user."""
        return Viewer(self.user_id, self.is_system_admin)


def load_public_key(pem: str | None) -> RSAPublicKey | None:
    """The RSA public key of ``JWT_PUBLIC_KEY`` (None when unset).

    Raises:
        ConfigError: the setting is not an RSA public key.
    """
    if pem is None:
        return None
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError:
        raise ConfigError("Invalid setting JWT_PUBLIC_KEY: not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise ConfigError("Invalid setting JWT_PUBLIC_KEY: not an RSA public key")
    return key


def _bearer(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _token() -> str:
    header = request.headers.get("Authorization")
    if header is not None:
        token = _bearer(header)
        if token is None:
            raise UnauthorizedError(INVALID_TOKEN)
        return token
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise UnauthorizedError(AUTH_REQUIRED)
    return cookie


def _claims(token: str, key: RSAPublicKey | None) -> dict[str, Any]:
    if key is None:
        raise UnauthorizedError(INVALID_TOKEN)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=["RS256"], options={"require": ["sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError(TOKEN_EXPIRED) from None
    except jwt.InvalidTokenError:
        raise UnauthorizedError(INVALID_TOKEN) from None
    if not _acceptable(claims):
        raise UnauthorizedError(INVALID_TOKEN)
    return claims


def _acceptable(claims: dict[str, Any]) -> bool:
    """``sub`` is a Discord snowflake and each profile claim given as a string is printable
    text (no NUL, control character or lone surrogate) of bounded length."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _SUB.fullmatch(sub):
        return False
    for claim, longest in _CLAIM_LENGTHS.items():
        value = claims.get(claim)
        if isinstance(value, str) and not (len(value) <= longest and value.isprintable()):
            return False
    return True


def authenticate_user(key: RSAPublicKey | None, admins: frozenset[str]) -> Principal:
    """The user of the request's JWT.

    Raises:
        UnauthorizedError: no token, an invalid one, or an expired one.
    """
    return _principal(_claims(_token(), key), admins)


def _principal(claims: dict[str, Any], admins: frozenset[str]) -> Principal:
    supplied = {
        field: claims[claim]
        for claim, field in _PROFILE_CLAIMS.items()
        if isinstance(claims.get(claim), str)
    }
    return Principal(claims["sub"], claims["sub"] in admins, UserProfile(**supplied))


class VerifiedTokens:
    """The users of the tokens this process has verified, each kept until its ``exp``.

    A token is looked up by its exact text; only tokens that passed every check of
    :func:`authenticate_user` are kept, and a kept one is refused as expired from its ``exp``
    on, as PyJWT would (``nbf`` and ``iat`` cannot turn a verified token invalid later). At most
    ``size`` tokens are kept, the oldest forgotten first; rejected tokens are never kept.
    """

    def __init__(
        self,
        key: RSAPublicKey | None,
        admins: frozenset[str],
        *,
        size: int = 4096,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._admins = admins
        self._size = size
        self._now = now
        self._known: dict[str, tuple[Principal, float | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self) -> Principal:
        """The user of the request's JWT.

        Raises:
            UnauthorizedError: no token, an invalid one, or an expired one.
        """
        token = _token()
        known = self._known.get(token)
        if known is not None:
            principal, expires = known
            if expires is None or self._now() < expires:
                return principal
            with self._lock:
                self._known.pop(token, None)
            raise UnauthorizedError(TOKEN_EXPIRED)
        claims = _claims(token, self._key)
        principal = _principal(claims, self._admins)
        expires = float(claims["exp"]) if "exp" in claims else None
        with self._lock:
            while len(self._known) >= self._size:
                del self._known[next(iter(self._known))]
            self._known[token] = (principal, expires)
        return principal


def require_system_admin(principal: Principal) -> None:
    """Raises ForbiddenError unless the user is a configured system admin."""
    if not principal.is_system_admin:
        raise ForbiddenError(ADMIN_REQUIRED)


def authenticate_bot(expected: str | None) -> None:
    """Check ``Authorization: Bearer <BOT_API_KEY>`` in constant time.

    Raises:
        UnauthorizedError: the header is missing or the key is not the configured one.
    """
    header = request.headers.get("Authorization")
    if not header:
        raise UnauthorizedError(MISSING_HEADER)
    presented = _bearer(header)
    if presented is None or not expected:
        raise UnauthorizedError(INVALID_API_KEY)
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise UnauthorizedError(INVALID_API_KEY)
