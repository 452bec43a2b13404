"""The log notifier: the default channel, and where DMs go without a bot token."""

from __future__ import annotations

import logging

from tracker_core.notifications import Notification


class LogNotifier:
    """Notifier writing each notification to a logger; never fails."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("tracker.notifications")

    def send(self, notification: Notification) -> None:
        """Log the message (not the target: a webhook URL is a secret)."""
        self._log.info(
            "notification %s %s for user %s (tracker %s, guild %s): %s",
            notification.kind,
            notification.channel,
            notification.user_id,
            notification.tracker_id,
            notification.guild_id or "-",
            notification.message,
        )
