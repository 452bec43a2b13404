"""Errors of ``trackers`` commands and their exit codes: 1 the operation failed, 2 usage."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from entrypoints.cli.output import JSON_KEY, json_mode

EXIT_FAILURE = 1
EXIT_CONFIG = 2


class CliError(click.ClickException):
    """A failure reported on stderr (as JSON with ``--json``) with a non-zero exit code."""

    exit_code = EXIT_FAILURE

    def __init__(
        self,
        message: str,
        *,
        code: str = "ERROR",
        as_json: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.as_json = as_json
        self.extra = extra or {}

    def show(self, file: Any = None) -> None:
        """Print the error to stderr."""
        if self.as_json:
            body = {"error": self.message, "code": self.code, **self.extra}
            click.echo(json.dumps(body), err=True)
        else:
            click.echo(f"Error: {self.message}", err=True)


class CliConfigError(CliError):
    """A missing or malformed setting, or a command the configured mode does not allow."""

    exit_code = EXIT_CONFIG


def config_error(message: str) -> CliError:
    """A configuration problem: exit code 2."""
    return CliConfigError(message, code="CONFIG_ERROR", as_json=json_mode())


def translate_errors(ctx: click.Context, run: Callable[[], Any]) -> Any:
    """Run a command, mapping core errors to exit 1 and configuration errors to exit 2."""
    from entrypoints.config import ConfigError
    from tracker_core.errors import RateLimitedError, TrackerError, ValidationError

    try:
        return run()
    except ConfigError as exc:
        as_json = bool(ctx.meta.get(JSON_KEY))
        raise CliConfigError(str(exc), code="CONFIG_ERROR", as_json=as_json) from exc
    except TrackerError as exc:
        as_json = bool(ctx.meta.get(JSON_KEY))
        extra: dict[str, Any] = {}
        message = exc.message
        if isinstance(exc, RateLimitedError):
            extra["retryAfter"] = exc.retry_after
        if isinstance(exc, ValidationError) and exc.errors:
            extra["errors"] = [e.as_dict() for e in exc.errors]
            fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            message = f"{message} ({fields})" if fields not in message else message
        raise CliError(message, code=exc.code, as_json=as_json, extra=extra) from exc
