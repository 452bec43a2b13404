"""Routes each notification to the notifier of its channel."""

from __future__ import annotations

from tracker_core.notifications import Notification
from tracker_core.ports import Notifier


class ChannelRouter:
    """Notifier picking by ``notification.channel``; the log notifier stands in for a missing one.

    Without a bot token there is no DM notifier, so DMs are logged (likewise webhooks when no
    webhook notifier is configured).
    """

    def __init__(self, dm: Notifier | None, webhook: Notifier | None, log: Notifier) -> None:
        self._dm = dm
        self._webhook = webhook
        self._log = log

    def send(self, notification: Notification) -> None:
        """Deliver on the notification's channel.

        Raises:
            DeliveryError: the channel's notifier failed.
        """
        self._pick(notification).send(notification)

    def _pick(self, notification: Notification) -> Notifier:
        if notification.channel == "DISCORD_DM" and self._dm is not None:
            return self._dm
        if notification.channel == "WEBHOOK" and self._webhook is not None:
            return self._webhook
        return self._log
