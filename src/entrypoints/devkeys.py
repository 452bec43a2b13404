"""The local RSA key pair of the embedded and sandbox modes, and the tokens it signs.

An embedded ``trackers serve`` accepts these tokens when JWT_PUBLIC_KEY is unset;
``trackers dev-token`` prints one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
