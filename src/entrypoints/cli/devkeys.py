"""``trackers dev-token`` and its local RSA key pair (also read by an embedded ``serve``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import click
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from entrypoints.cli.common import (
    config_error,
    emit,
    json_option,
    load_settings_of,
    note,
    snowflake_option,
)
from entrypoints.config import Settings
from entrypoints.container import get_container
from entrypoints.serializers import instant

KEY_DIR = "dev-keys"
PRIVATE_FILE = "private.pem"
PUBLIC_FILE = "public.pem"
TOKEN_TTL = timedelta(hours=12)


@attrs.frozen
class DevKeys:
    """A PEM key pair (the private half never leaves ``<data_dir>/dev-keys``)."""

    private_pem: str = attrs.field(repr=False)
    public_pem: str


def key_dir(data_dir: Path) -> Path:
    """Where the development key pair lives."""
    return data_dir / KEY_DIR


def ensure_dev_keys(data_dir: Path) -> DevKeys:
    """The stored key pair, created on first use (private key file mode 0600)."""
    folder = key_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = folder / PRIVATE_FILE
    if not private_path.exists():
        _create_private_key(private_path)
    private_pem = private_path.read_text()
    public_pem = public_pem_of(private_pem)
    public_path = folder / PUBLIC_FILE
    if not public_path.exists() or public_path.read_text() != public_pem:
        public_path.write_text(public_pem)
    return DevKeys(private_pem, public_pem)


def _create_private_key(path: Path) -> None:
    """Write a new key atomically: a racing process keeps whichever key was linked first."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".private-")
    try:
        os.chmod(temp, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # Losing the race is fine: the other process's key is the one everybody reads.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)


def public_pem_of(private_pem: str) -> str:
    """The PEM public key of a PEM private key."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the development key is not an RSA key")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@attrs.frozen
class DevToken:
    """A signed token and what it says."""

    token: str = attrs.field(repr=False)
    user_id: str
    username: str
    expires_at: datetime


def mint_token(
    private_pem: str,
    *,
    user_id: str,
    username: str,
    global_name: str | None = None,
    now: datetime | None = None,
    ttl: timedelta = TOKEN_TTL,
) -> DevToken:
    """An RS256 user JWT (``sub``, ``username``, ``iat``, ``exp``)."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + ttl
    claims: dict[str, Any] = {
        "sub": user_id,
        "username": username,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if global_name is not None:
        claims["globalName"] = global_name
    token = jwt.encode(claims, private_pem, algorithm="RS256")
    return DevToken(token, user_id, username, expires)


def _signing_key(settings: Settings) -> str:
    """The private key whose tokens the embedded server accepts.

    Raises:
        CliError: production mode, or a JWT_PUBLIC_KEY without its JWT_PRIVATE_KEY.
    """
    if not settings.embedded:
        raise config_error(
            "dev-token is for the embedded and sandbox modes only: REDIS_URL is set "
            "(production mode), where tokens come from your login service"
        )
    if settings.jwt_private_key:
        return settings.jwt_private_key
    if settings.jwt_public_key:
        raise config_error(
            "JWT_PUBLIC_KEY is set, so the server would refuse a development token: "
            "set JWT_PRIVATE_KEY to the matching private key, or unset JWT_PUBLIC_KEY"
        )
    return ensure_dev_keys(settings.data_dir).private_pem


@click.command("dev-token")
@snowflake_option("--user", "user_id", required=True, help="Discord user id (token sub).")
@click.option("--username", default="dev-user", show_default=True, help="Token username claim.")
@click.option("--global-name", default=None, help="Token globalName claim.")
@json_option
def dev_token(user_id: str, username: str, global_name: str | None) -> None:
    """Print a JWT for a local user (embedded mode only).

    RS256, valid 12 hours; refused in production mode. The first use creates a key pair
    under <data dir>/dev-keys/; `trackers serve` accepts its tokens when JWT_PUBLIC_KEY is
    unset. Use it as `Authorization: Bearer <token>`.
    """
    settings = load_settings_of(get_container())
    minted = mint_token(
        _signing_key(settings), user_id=user_id, username=username, global_name=global_name
    )
    data = {
        "token": minted.token,
        "tokenType": "Bearer",
        "userId": minted.user_id,
        "username": minted.username,
        "expiresAt": instant(minted.expires_at),
    }
    emit(data, lambda _out: click.echo(minted.token))
    note(f"Token for user {user_id} ({username}), valid until {instant(minted.expires_at)}.")
