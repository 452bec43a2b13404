"""``trackers worker``: RQ workers on the scrape queue's lanes, highest priority first.

The worker outlives Redis outages. Started while Redis is down, it waits for it (unless told to
exit); when Redis goes away under a busy or idle worker, RQ's worker gives up, and this loop
waits for Redis with a capped backoff and starts a fresh RQ worker (a new name, so a job the old
one was running counts as dead and is queued again by the reconciler). Each change of state is
logged once. Beside RQ's worker a thread renews the worker's heartbeat key
(:meth:`RqJobQueue.beat`), also while a job runs; the reconciler calls a started job whose
worker has no heartbeat dead.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.context import ForkProcess
from typing import Any, cast

import redis
from rq import Queue, SimpleWorker
from rq import scheduler as rq_scheduler
from rq.exceptions import InvalidJobOperation
from rq.job import Job
from rq.registry import StartedJobRegistry

from adapters.queue.rq_queue import RqJobQueue
from entrypoints.container import ProductionContainer
from tracker_core.errors import QueueUnavailableError

log = logging.getLogger("trackers.worker")

_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
_CONNECTION_LOST = (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError)
BACKOFF_START = 0.5
BACKOFF_CAP = 30.0
PUBSUB_WAKE_SECONDS = 1.0
"""How often RQ's command thread wakes to see whether it was stopped (RQ's own: 60 s)."""
SCHEDULER_STOP_SECONDS = 10.0
"""How long a worker's teardown waits for its scheduler process after SIGTERM before SIGKILL
(RQ's own waits for ever). Longer than a scheduler takes to end while Redis is down (its client
retries a command for up to about 4 s, and the scheduler checks for a stop every second), so
an outage alone kills none."""


class _QuietReconnects(logging.Filter):
    """Keeps the first of RQ's "could not connect" lines of an outage and drops the repeats
    (RQ logs one per retry); any other line ends the outage."""

    def __init__(self) -> None:
        super().__init__()
        self.in_outage = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "could not connect to Redis" in str(record.msg):
            first = not self.in_outage
            self.in_outage = True
            return first
        if record.exc_info and isinstance(record.exc_info[1], _CONNECTION_LOST):
            # RQ's "unhandled exception, quitting" when Redis went away mid-job: one line,
            # without the driver's traceback (this loop then starts a fresh worker)
            record.msg = (
                f"{record.msg} (Redis connection lost: {type(record.exc_info[1]).__name__})"
            )
            record.exc_info = None
            record.exc_text = None
            self.in_outage = True
            return True
        self.in_outage = False
        return True


class Heartbeat:
    """Renews a worker's heartbeat key every third of its TTL, in a thread of its own."""

    def __init__(self, queue: RqJobQueue) -> None:
        self.queue = queue
        self.name = ""
        self._stop = threading.Event()
        self._failing = False
        # one beat or switch at a time: a beat for the old name landing after the switch forgot
        # it would keep a dead worker alive to the reconciler for a whole TTL
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self, worker_name: str) -> None:
        self.switch(worker_name)
        self._thread.start()

    def switch(self, worker_name: str) -> None:
        """Beat for ``worker_name`` from now on (a fresh RQ worker after an outage)."""
        with self._lock:
            old, self.name = self.name, worker_name
            if old:
                self._quietly(self.queue.forget, old)
            self._quietly(self.queue.beat, worker_name)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # not started: stopped before any worker ran
            self._thread.join(5)
        if self.name:
            self._quietly(self.queue.forget, self.name)

    def _run(self) -> None:
        while not self._stop.wait(self.queue.worker_ttl / 3):
            self.beat_once()

    def beat_once(self) -> None:
        """Renew the current worker's key (what the thread does every third of the TTL)."""
        with self._lock:
            self._quietly(self.queue.beat, self.name)

    def _quietly(self, call: Callable[[str], None], worker_name: str) -> None:
        try:
            call(worker_name)
        except QueueUnavailableError as exc:
            if not self._failing:
                log.warning(
                    "worker heartbeat: Redis unavailable (%s)", type(exc.__cause__).__name__
                )
            self._failing = True
            return
        if self._failing:
            log.info("worker heartbeat: Redis reachable again")
        self._failing = False


def wait_for_redis(
    connection: redis.Redis,
    stop: threading.Event,
    *,
    backoff_start: float = BACKOFF_START,
    backoff_cap: float = BACKOFF_CAP,
) -> bool:
    """Ping Redis until it answers (True) or ``stop`` is set (False), waiting a doubling delay
    capped at ``backoff_cap`` between tries; logs once when it starts waiting and once when
    Redis is back."""
    delay = backoff_start
    waited = False
    while not stop.is_set():
        try:
            connection.ping()
        except _REDIS_DOWN as exc:
            if not waited:
                log.warning(
                    "Redis unavailable (%s); waiting for it, retrying after %g s, "
                    "the wait doubling up to %g s",
                    type(exc).__name__,
                    delay,
                    backoff_cap,
                )
                waited = True
            stop.wait(delay)
            delay = min(delay * 2, backoff_cap)
            continue
        if waited:
            log.info("Redis reachable again; worker resuming")
        return True
    return False


def run_worker(
    container: ProductionContainer,
    *,
    burst: bool = False,
    exit_on_unavailable: bool = False,
    stop: threading.Event | None = None,
    backoff_cap: float = BACKOFF_CAP,
) -> int:
    """Work the high, default and low lanes until stopped (or drained with ``burst``).

    Jobs run in this process (no fork per job), so the database pool and the HTTP client are
    reused; a job that kills the process leaves its tracker to the lease reaper and the
    reconciler.

    Raises:
        QueueUnavailableError: Redis cannot be reached at start and ``exit_on_unavailable``.
    """
    queue = container.queue()
    return work_lanes(
        queue,
        container.redis(),
        burst=burst,
        exit_on_unavailable=exit_on_unavailable,
        stop=stop,
        backoff_cap=backoff_cap,
    )


def work_lanes(
    queue: RqJobQueue,
    connection: redis.Redis,
    *,
    burst: bool = False,
    exit_on_unavailable: bool = False,
    stop: threading.Event | None = None,
    backoff_cap: float = BACKOFF_CAP,
) -> int:
    """:func:`run_worker` on a given queue and Redis connection."""
    stop = stop or threading.Event()
    if exit_on_unavailable:
        try:
            connection.ping()
        except _REDIS_DOWN as exc:
            raise QueueUnavailableError(f"Redis unavailable: {type(exc).__name__}") from None
    quiet = _QuietReconnects()
    rq_log = logging.getLogger("rq.worker")
    rq_log.addFilter(quiet)
    heartbeat = Heartbeat(queue)
    try:
        while _stop_on_signals(stop) and wait_for_redis(connection, stop, backoff_cap=backoff_cap):
            try:  # RQ's worker talks to Redis as it is made: Redis may go away just then
                worker = _LaneWorker(queue.lanes, connection=connection, stop=stop)
            except _REDIS_DOWN as exc:
                log.warning("Redis went away as a worker started (%s)", type(exc).__name__)
                continue
            worker.max_connection_wait_time = backoff_cap
            if heartbeat.name:
                heartbeat.switch(worker.name)
            else:
                heartbeat.start(worker.name)
            log.info("worker %s listening on %s", worker.name, queue.lane_names)
            try:
                worker.work(burst=burst, with_scheduler=True)
            except _REDIS_DOWN as exc:
                log.warning(
                    "worker %s lost Redis (%s); a fresh worker starts once it is back",
                    worker.name,
                    type(exc).__name__,
                )
                continue
            if burst:
                return 0
            if stop.is_set():  # a SIGTERM/SIGINT (RQ's warm shutdown) or the caller's stop
                return 0
            # RQ's worker quits on any error it does not handle (Redis lost mid-job, above all).
            log.warning("worker %s quit unexpectedly; a fresh worker starts", worker.name)
            stop.wait(BACKOFF_START)
        return 0
    finally:
        heartbeat.stop()
        rq_log.removeFilter(quiet)


class _LaneWorker(SimpleWorker):
    """RQ's in-process worker that records a warm shutdown request in ``stop``.

    RQ sets no flag when a SIGTERM finds it idle (it only raises ``StopRequested`` out of its
    loop), so without this the loop above would take a requested stop for a crash and start a
    fresh worker, and a supervisor's stop would end in a SIGKILL. A signal that came while RQ
    was starting (before its own handlers were installed) stops it before its first job.
    """

    def __init__(self, *args: Any, stop: threading.Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop_event = stop

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        if self._stop_event.is_set():  # RQ's loop checks this flag before each dequeue
            self._stop_requested = True

    def handle_warm_shutdown_request(self) -> None:
        self._stop_event.set()
        # RQ raises StopRequested out of its signal handler when idle; if that lands inside its
        # own start-up maintenance (which catches errors) it is lost, so RQ's loop must also see
        # the flag it checks before each dequeue
        self._stop_requested = True
        super().handle_warm_shutdown_request()  # type: ignore[no-untyped-call]  # rq leaves it untyped

    def subscribe(self) -> None:
        """RQ's command channel (``rq`` suspend/stop commands), as RQ subscribes to it, but
        with its thread waking every :data:`PUBSUB_WAKE_SECONDS` instead of every minute.

        A stopped thread ends only when it wakes: when Redis cannot be told to unsubscribe (it
        went away under the worker), the thread and its connection would otherwise outlive the
        worker by up to a minute. Waking costs no Redis command.
        """
        self.pubsub = self.connection.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # rq types it as None
            sleep_time=PUBSUB_WAKE_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def unsubscribe(self) -> None:
        """RQ's unsubscribe, with the thread told to stop first: the answer to ``UNSUBSCRIBE``
        then wakes it to end (RQ stops it after sending, so the thread could go back to
        waiting and make RQ's join wait its full second)."""
        if self.pubsub_thread is not None:
            self.pubsub_thread.stop()
        super().unsubscribe()  # type: ignore[no-untyped-call]  # rq leaves it untyped

    def teardown(self) -> None:
        """RQ's teardown; when Redis is gone it fails before unsubscribing, and RQ's pubsub
        thread (which retries a lost connection for ever) would live on with a connection of
        its own, one per outage. It is stopped here in any case and ends at its next wake-up,
        closing its connection."""
        try:
            super().teardown()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        finally:
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()

    def stop_scheduler(self) -> None:
        """RQ's stop of the scheduler process (SIGTERM, then wait for it), the wait bounded by
        :data:`SCHEDULER_STOP_SECONDS`, after which it is killed.

        RQ waits for ever; a scheduler that does not end (stuck in a lock it inherited from
        the fork, say) would then hang this worker's teardown, and with it the worker, which
        takes no job again and is not replaced. The scheduler's locks expire by themselves.
        """
        # rq types it as None; _QuietScheduler.start sets a ForkProcess
        process = cast("ForkProcess | None", self.scheduler._process if self.scheduler else None)
        if process is None or not process.pid:
            return
        process.terminate()  # SIGTERM; nothing if it is gone already
        process.join(SCHEDULER_STOP_SECONDS)
        if process.exitcode is None:
            log.warning(
                "scheduler process %s did not stop within %g s of SIGTERM; killing it",
                process.pid,
                SCHEDULER_STOP_SECONDS,
            )
            process.kill()
            process.join()

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """RQ's report of a job that raised; one warning line instead of a traceback when the
        exception is Redis going away.

        That happens when Redis drops between the job's function and RQ's bookkeeping of it
        (a heartbeat of the job, then the move to a registry): the scrape is committed to the
        database before it returns, so nothing of the job failed but its record. Redis must
        have answered again for RQ to get this far; the next bookkeeping step decides whether
        this worker goes on or is replaced.
        """
        error = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(error, _CONNECTION_LOST):
            log.warning(
                "job %s: Redis went away while RQ recorded it (%s)", job.id, type(error).__name__
            )
            return
        super().handle_exception(job, *exc_info)

    def handle_job_success(
        self, job: Job, queue: Queue, started_job_registry: StartedJobRegistry
    ) -> None:
        """RQ's bookkeeping of a finished job; one warning line, not a traceback, when Redis
        lost the job's record while it ran (a restart without data).

        The job's work is done and stored (a scrape commits to the database before it
        returns), but RQ reads the job's status from its record while cleaning up and raises
        when the record is gone; its failure handling would then log a traceback for a job
        that did not fail. Nothing of the job is left in Redis to record (the fields written
        since the loss are dropped).
        """
        try:
            super().handle_job_success(job, queue, started_job_registry)
        except InvalidJobOperation:
            # Gone, or left with only the fields written since (RQ's heartbeat of the job):
            # no status. Any other invalid operation is RQ's to report.
            if self.connection.hexists(job.key, "status"):
                raise
            self.connection.delete(job.key)  # what is left of it has nothing to tell
            log.warning("job %s: its record was lost in Redis while it ran (done)", job.id)

    def _start_scheduler(self, burst: bool = False, *args: Any, **kwargs: Any) -> None:
        """RQ's scheduler, forked as :class:`_QuietScheduler` (as RQ does, same locks)."""
        self.scheduler = _QuietScheduler(
            self.queues, connection=self.connection, serializer=self.serializer
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        finally:
            self.scheduler.release_locks()  # type: ignore[no-untyped-call]  # rq leaves it untyped
            self.scheduler.register_death()


class _QuietScheduler(rq_scheduler.RQScheduler):
    """RQ's scheduler process, which ends with one log line when Redis goes away under it.

    RQ's own process logs the whole traceback and re-raises, so the child also prints it to
    stderr; the worker loop above starts a fresh worker (and scheduler) once Redis is back.
    """

    def start(self) -> ForkProcess:
        self._status = self.Status.STARTED
        self._connection = None  # a Redis client cannot cross the fork (as RQ does)
        process = ForkProcess(target=_run_scheduler, args=(self,), name="Scheduler")
        self._process = process  # type: ignore[assignment]  # rq types it as None
        process.start()
        return process


def _run_scheduler(scheduler: rq_scheduler.RQScheduler) -> None:
    rq_log = logging.getLogger("rq.scheduler")
    rq_log.addFilter(_one_line_scheduler_crash)
    try:
        rq_scheduler.run(scheduler)  # type: ignore[no-untyped-call]  # rq leaves it untyped
    except _CONNECTION_LOST:
        sys.exit(1)  # logged in one line above; SystemExit prints no traceback


def _one_line_scheduler_crash(record: logging.LogRecord) -> bool:
    """RQ's "Scheduler [PID n] raised an exception.\n<traceback>": only the traceback's last
    line when it is a lost Redis connection."""
    args = record.args
    if "raised an exception" in str(record.msg) and isinstance(args, tuple) and len(args) == 2:
        lines = str(args[1]).strip().splitlines()
        if lines and any(name in lines[-1] for name in ("ConnectionError", "TimeoutError")):
            record.msg = "Scheduler [PID %s] stopped: Redis connection lost (%s)"
            record.args = (args[0], lines[-1])
    return True


def _stop_on_signals(stop: threading.Event) -> bool:
    """SIGTERM and SIGINT set ``stop`` while no RQ worker runs (RQ installs its own handlers
    and leaves them behind); always True."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    return True
