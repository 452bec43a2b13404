"""``trackers dev-token``: a token signed with the local development key pair."""

from __future__ import annotations

import click

from entrypoints.cli.errors import config_error
from entrypoints.cli.options import json_option, snowflake_option
from entrypoints.cli.output import emit, note
from entrypoints.cli.services import load_settings_of
from entrypoints.config import Settings
from entrypoints.container import get_container
from entrypoints.devkeys import ensure_dev_keys, mint_token
from entrypoints.responses.base import instant


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
