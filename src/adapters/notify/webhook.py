"""The guild staff webhook notifier (Discord "Execute Webhook").

The webhook URL holds the webhook's token, so it is a secret: it never appears in errors or
logs. Webhooks take no message nonce, so a send repeated after a crash shows twice (the outbox
is at-least-once).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from adapters.notify.discord import USER_AGENT, message_body, post, raise_for_delivery
from tracker_core.errors import DeliveryError
from tracker_core.notifications import Notification

DISCORD_WEBHOOK_URL = (
    r"https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d+/[\w-]+"
)


class WebhookNotifier:
    """Notifier posting to the Discord webhook URL in ``notification.target``."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: float = 10,
        url_pattern: str | None = DISCORD_WEBHOOK_URL,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        # Only Discord webhook URLs: a guild setting must not make us POST anywhere else.
        self._url_pattern = re.compile(url_pattern) if url_pattern is not None else None
        self._headers = {"User-Agent": user_agent}

    def close(self) -> None:
        """Close the HTTP client if this notifier created it."""
        if self._owns_client:
            self._client.close()

    def send(self, notification: Notification) -> None:
        """POST the message to the webhook (``?wait=true``, so Discord reports errors).

        Raises:
            DeliveryError: Discord refused, rate limited or could not be reached.
        """
        url = notification.target
        if self._url_pattern is not None and not self._url_pattern.fullmatch(url):
            raise DeliveryError("post webhook: not a Discord webhook URL", permanent=True)
        response = post(
            self._client,
            url,
            "post webhook",
            (url, urlsplit(url).path.rsplit("/", 1)[-1]),
            json=message_body(notification),
            params={"wait": "true"},
            headers=self._headers,
        )
        raise_for_delivery(response, "post webhook")
