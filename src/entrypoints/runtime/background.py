"""Embedded mode: the queue workers and the scheduler run inside the serving process."""

from __future__ import annotations

import logging
import threading

from entrypoints.container import EmbeddedContainer
from entrypoints.runtime.scheduler import SchedulerLoop

log = logging.getLogger("trackers.background")


class Background:
    """The background threads of ``trackers serve`` in embedded mode."""

    def __init__(self, container: EmbeddedContainer) -> None:
        self.container = container
        self.stop_event = threading.Event()
        self.loop = SchedulerLoop(container)
        self.thread = threading.Thread(
            target=self.loop.run, args=(self.stop_event,), name="scheduler", daemon=True
        )

    def start(self) -> Background:
        self.container.queue().start()
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the scheduler and let running jobs finish (bounded by ``timeout``)."""
        self.stop_event.set()
        self.thread.join(timeout)
        self.container.queue().stop(timeout)


def start_background(container: EmbeddedContainer) -> Background:
    """Start the in-process workers and the scheduler loop (reconciling at once)."""
    return Background(container).start()
