"""Notifier adapters: Discord DM (bot), Discord webhook, log, and the channel router."""

from adapters.notify.discord import DiscordDmNotifier
from adapters.notify.log import LogNotifier
from adapters.notify.router import ChannelRouter
from adapters.notify.webhook import WebhookNotifier

__all__ = ["ChannelRouter", "DiscordDmNotifier", "LogNotifier", "WebhookNotifier"]
