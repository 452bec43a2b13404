"""Discord over HTTP: the bot DM notifier, and the answer mapping shared with webhooks.

Discord answers 429 with ``retry_after`` (JSON, seconds) and ``Retry-After``: the dispatcher
waits that long. 5xx and network errors are retried with backoff; any other 4xx (403: the
user does not accept DMs from the bot) cannot be helped by another try.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx

from tracker_core.errors import DeliveryError
from tracker_core.notifications import Notification

DISCORD_API_URL = "https://discord.com/api/v10"
USER_AGENT = "DiscordBot (https://github.com/tracker-service, 0.1.0)"
MAX_CONTENT_LENGTH = 2000
_SNOWFLAKE = re.compile(r"\d{17,20}")
_MAX_CACHED_CHANNELS = 10_000


def message_body(notification: Notification) -> dict[str, Any]:
    """The JSON of a message: content within Discord's limit, no @everyone or role pings."""
    content = notification.message
    if len(content) > MAX_CONTENT_LENGTH:
        content = content[: MAX_CONTENT_LENGTH - 1] + "…"
    return {"content": content, "allowed_mentions": {"parse": []}}


def raise_for_delivery(response: httpx.Response, action: str) -> None:
    """Raise DeliveryError unless Discord accepted the request (2xx)."""
    status = response.status_code
    if status < 300:
        return
    detail = _error_detail(response)
    if status == 429:
        raise DeliveryError(
            f"{action}: Discord rate limit (429){detail}", retry_after=_retry_after(response)
        )
    message = f"{action}: Discord answered {status}{detail}"
    raise DeliveryError(message, permanent=status < 500)


def post(
    client: httpx.Client,
    url: str,
    action: str,
    secrets: Iterable[str],
    **kwargs: Any,
) -> httpx.Response:
    """POST, turning transport errors into DeliveryError with every secret blanked out."""
    try:
        return client.post(url, **kwargs)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        reason = redact(f"{action}: invalid URL ({exc})", secrets)
        # "from None": the library's exception holds the request, URL and headers included.
        raise DeliveryError(reason, permanent=True) from None
    except httpx.TransportError as exc:
        reason = redact(f"{action}: {type(exc).__name__}: {exc}", secrets)
        raise DeliveryError(reason) from None


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _error_detail(response: httpx.Response) -> str:
    """``: <message> (code <n>)`` from Discord's JSON error body, or nothing."""
    body = _json(response)
    message = str(body.get("message", ""))[:200]
    code = body.get("code")
    if not message:
        return ""
    return f": {message}" + (f" (code {code})" if code is not None else "")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``retry_after`` from the JSON body, else the ``Retry-After`` header."""
    for raw in (_json(response).get("retry_after"), response.headers.get("Retry-After")):
        try:
            seconds = float(raw) if raw is not None else None
        except (TypeError, ValueError):
            continue
        if seconds is not None and seconds >= 0:
            return seconds
    return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class DiscordDmNotifier:
    """Notifier sending direct messages through a Discord bot, deduplicated by message nonce."""

    def __init__(
        self,
        bot_token: str,
        *,
        api_url: str = DISCORD_API_URL,
        client: httpx.Client | None = None,
        timeout: float = 10,
        user_agent: str = USER_AGENT,
    ) -> None:
        if not bot_token:
            raise ValueError("DiscordDmNotifier needs a bot token")
        self._token = bot_token
        self._api = api_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"Authorization": f"Bot {bot_token}", "User-Agent": user_agent}
        # A user's DM channel never changes: one request saved per message.
        self._channels: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"DiscordDmNotifier(api_url={self._api!r})"

    def close(self) -> None:
        """Close the HTTP client if this notifier created it."""
        if self._owns_client:
            self._client.close()

    def send(self, notification: Notification) -> None:
        """Open (or reuse) the DM channel with ``target`` and post the message with its nonce.

        Raises:
            DeliveryError: Discord refused, rate limited or could not be reached.
        """
        recipient = notification.target
        if not _SNOWFLAKE.fullmatch(recipient):
            raise DeliveryError("send DM: target is not a Discord user id", permanent=True)
        cached = self._channels.get(recipient)
        response = self._post_message(cached or self._open_dm(recipient), notification)
        if response.status_code == 404 and cached is not None:
            # The cached channel is gone (Unknown Channel): open it again, once.
            self._channels.pop(recipient, None)
            response = self._post_message(self._open_dm(recipient), notification)
        raise_for_delivery(response, "send DM")

    def _open_dm(self, recipient: str) -> str:
        response = self._post("/users/@me/channels", "open DM channel", {"recipient_id": recipient})
        raise_for_delivery(response, "open DM channel")
        channel_id = _json(response).get("id")
        if not isinstance(channel_id, str) or not channel_id:
            raise DeliveryError("open DM channel: Discord answered without a channel id")
        if len(self._channels) >= _MAX_CACHED_CHANNELS:
            self._channels.clear()
        self._channels[recipient] = channel_id
        return channel_id

    def _post_message(self, channel_id: str, notification: Notification) -> httpx.Response:
        # enforce_nonce: a repeated send (dispatcher died before marking) returns the first
        # message instead of creating a second one.
        body = message_body(notification) | {"nonce": notification.nonce, "enforce_nonce": True}
        return self._post(f"/channels/{channel_id}/messages", "send DM", body)

    def _post(self, path: str, action: str, body: dict[str, Any]) -> httpx.Response:
        return post(
            self._client, self._api + path, action, (self._token,), json=body, headers=self._headers
        )
