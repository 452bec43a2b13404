"""The HTTP API: ``create_app(container)`` in :mod:`entrypoints.http.app`."""
