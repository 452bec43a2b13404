"""The RQ/Redis job queue: one scrape job per tracker, in three priority lanes.

Layout in Redis (RQ's own keys, plus one of ours):

- lanes ``<queue_name>:high``, ``<queue_name>:default``, ``<queue_name>:low`` are plain RQ
  queues (``rq:queue:<lane>``); workers listen to them in that order (:attr:`RqJobQueue.lanes`),
  and need RQ's scheduler (``--with-scheduler``) for jobs deferred with ``not_before``;
- job id ``<queue_name>-<tracker_id>`` (characters RQ does not allow in ids become ``_``), so
  every key of a deployment, job hashes included, names its queue;
- claim marker ``<queue_name>:queued:<tracker_id>`` (SET NX PX ``claim_ttl``).
- worker heartbeat ``<queue_name>:worker:<worker name>`` (SET PX ``worker_ttl``, renewed by
  ``trackers worker`` every third of it, even while a job runs);
- lost-job mark ``<queue_name>:lost:<tracker_id>``: when the job was first seen in no lane.

Whether a tracker has a live job is RQ's own job status (queued, scheduled, started, deferred):
it holds for however long a job waits, and vanishes with everything else when Redis loses its
data, so the reconciler then queues the tracker again. The marker only covers the moment
between claiming a tracker and the pipeline that writes its job landing: the claim (a Lua
script) checks the status and sets the marker atomically, so two enqueuers, in threads or
processes, never both win. The job calls :meth:`RqJobQueue.release` at its end so the tracker
can be queued again at once; a marker nobody releases expires after ``claim_ttl``.

RQ's status is not trusted blindly: a "started" job whose worker's heartbeat is gone, a
"queued" or "scheduled" job found in no lane for ``lost_grace`` seconds, and a "scheduled" job
due for ``lost_grace`` seconds that no RQ scheduler has moved to its lane, are dead (a worker was
killed after taking the job or while holding RQ's scheduler lock, or Redis lost part of its
data). The claim script deletes such a job and claims the tracker, so the reconciler queues it
again whatever instant the worker died.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Queue
from rq.executions import ExecutionRegistry
from rq.job import Job, JobStatus
from rq.registry import CanceledJobRegistry, FailedJobRegistry, FinishedJobRegistry
from rq.results import Result

from tracker_core.errors import QueueUnavailableError
from tracker_core.model import Priority

log = logging.getLogger("adapters.queue")

DEFAULT_QUEUE_NAME = "tracker-scraping-queue"
DEFAULT_JOB_FUNC = "entrypoints.runtime.jobs.scrape_tracker"
LANE_ORDER = (Priority.HIGH, Priority.DEFAULT, Priority.LOW)

_LIVE_STATUSES = frozenset({"queued", "scheduled", "started", "deferred"})
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
_NOT_IN_JOB_IDS = re.compile(r"[^A-Za-z0-9_-]")
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
)
# Where an ended job's id is listed, so a new job with the same id does not inherit it.
_ENDED_REGISTRIES = {
    "finished": FinishedJobRegistry.key_template,
    "failed": FailedJobRegistry.key_template,
    "stopped": FailedJobRegistry.key_template,
    "canceled": CanceledJobRegistry.key_template,
}

# KEYS: (job hash, claim marker, lost-job mark) per tracker. ARGV: [1] marker TTL in ms, [2] the
# prefix of worker heartbeat keys, [3] how long (ms) a job must be missing from its lane before
# it counts as lost, [4] '1' to claim, '0' only to drop dead jobs.
# Reply per tracker: {won 0/1, status of an ended job to remove first or '', its origin or '',
# why a dead job was dropped or ''}.
#
# A job RQ calls live may be dead: 'started' by a worker whose heartbeat key is gone (the worker
# was killed after taking the job), 'queued'/'scheduled' but in no lane (a worker killed
# between popping it and marking it started, or a partial loss of Redis data), or 'scheduled'
# and due for longer than the grace time (no RQ scheduler is running to move it: the worker
# that held its lock was killed, and RQ's lock outlives it by a minute while the other workers
# only try to take it over every 10 minutes). Such a job is
# deleted with RQ's bookkeeping of its executions, so the tracker can be queued again. A missing
# job is only called lost once it has been seen missing for the grace time: a worker that has
# just popped it takes a moment to mark it started.
_CLAIM_LUA = """
local marker_ttl, worker_prefix = ARGV[1], ARGV[2]
local grace_ms, claim = tonumber(ARGV[3]), ARGV[4] == '1'

-- Which job ids a lane holds: LPOS for a few look-ups, else the lane read once per call (a
-- reconciliation re-checks thousands of queued trackers against a lane of thousands of jobs).
local many = #KEYS > 24
local lanes = {}
local function in_lane(lane, job_id)
  if not many then
    return redis.call('LPOS', lane, job_id)
  end
  local ids = lanes[lane]
  if not ids then
    ids = {}
    for _, id in ipairs(redis.call('LRANGE', lane, 0, -1)) do
      ids[id] = true
    end
    lanes[lane] = ids
  end
  return ids[job_id]
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function lost(lost_key)
  local seen = redis.call('GET', lost_key)
  local now = now_ms()
  if not seen then
    redis.call('SET', lost_key, now, 'PX', grace_ms * 10 + 600000)
    return false
  end
  return now - tonumber(seen) >= grace_ms
end

-- '' when the job is really live, else why it is dead
local function dead_because(job_key, job_id, status, lost_key)
  if status == 'started' then
    local worker = redis.call('HGET', job_key, 'worker_name')
    if worker and worker ~= '' and redis.call('EXISTS', worker_prefix .. worker) == 1 then
      return ''
    end
    return 'worker gone'
  end
  if status == 'deferred' then
    return ''
  end
  local origin = redis.call('HGET', job_key, 'origin') or ''
  local listed
  if status == 'queued' then
    listed = in_lane('rq:queue:' .. origin, job_id)
  else
    listed = redis.call('ZSCORE', 'rq:scheduled:' .. origin, job_id)
    -- due for longer than the grace and still not moved to its lane: no RQ scheduler runs
    -- (the worker holding its lock was killed; the lock outlives it by a minute)
    if listed and now_ms() - tonumber(listed) * 1000 >= grace_ms then
      return 'overdue, no scheduler moved it'
    end
  end
  if listed then
    redis.call('DEL', lost_key)
    return ''
  end
  if lost(lost_key) then
    return 'in no lane'
  end
  return ''
end

local function drop(job_key, job_id)
  local origin = redis.call('HGET', job_key, 'origin') or ''
  local executions = 'rq:executions:' .. job_id
  for _, execution in ipairs(redis.call('ZRANGE', executions, 0, -1)) do
    redis.call('ZREM', 'rq:wip:' .. origin, job_id .. ':' .. execution)
    redis.call('DEL', 'rq:execution:' .. job_id .. ':' .. execution)
  end
  redis.call('ZREM', 'rq:scheduled:' .. origin, job_id)
  redis.call('LREM', 'rq:queue:' .. origin, 0, job_id)
  redis.call('DEL', job_key, executions, job_key .. ':dependents')
end

local reply = {}
for i = 1, #KEYS, 3 do
  local job_key, marker, lost_key = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local job_id = string.sub(job_key, 8)
  local status = redis.call('HGET', job_key, 'status')
  local live = status == 'queued' or status == 'scheduled' or status == 'started'
      or status == 'deferred'
  local dropped = ''
  if live then
    dropped = dead_because(job_key, job_id, status, lost_key)
    if dropped ~= '' then
      drop(job_key, job_id)
      redis.call('DEL', marker, lost_key)
      status, live = false, false
    end
  end
  if not claim or live or not redis.call('SET', marker, '1', 'NX', 'PX', marker_ttl) then
    reply[#reply + 1] = {0, '', '', dropped}
  elseif status then
    reply[#reply + 1] = {1, status, redis.call('HGET', job_key, 'origin') or '', dropped}
  else
    reply[#reply + 1] = {1, '', '', dropped}
  end
end
return reply
"""


def job_id_for(queue_name: str, tracker_id: str) -> str:
    """The deterministic RQ job id of a tracker's scrape job on the queue ``queue_name``."""
    return f"{_NOT_IN_JOB_IDS.sub('_', queue_name)}-{tracker_id}"


@contextmanager
def _unavailable_as_queue_error() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise QueueUnavailableError(f"Redis job queue unavailable: {exc}") from exc


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _deferral(not_before: datetime | None) -> datetime | None:
    """``not_before`` when it is still in the future (naive means UTC), else None."""
    if not_before is None:
        return None
    if not_before.tzinfo is None:
        not_before = not_before.replace(tzinfo=UTC)
    return not_before if not_before > datetime.now(UTC) else None


class RqJobQueue:
    """JobQueue on RQ: lanes high/default/low, one job per tracker, bulk enqueue in a pipeline."""

    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        queue_name: str = DEFAULT_QUEUE_NAME,
        job_func: str = DEFAULT_JOB_FUNC,
        job_timeout: int = 600,
        result_ttl: int = 0,
        failure_ttl: int = 7 * 24 * 3600,
        claim_ttl: float = 60.0,
        worker_ttl: float = 30.0,
        lost_grace: float = 5.0,
    ) -> None:
        self._redis = redis_client
        self._queue_name = queue_name
        self._job_func = job_func
        self._job_timeout = job_timeout
        # 0: a finished job is deleted at once; the database keeps every attempt's log.
        self._result_ttl = result_ttl
        self._failure_ttl = failure_ttl
        self._claim_ttl_ms = max(1, int(claim_ttl * 1000))
        self._worker_ttl_ms = max(1, int(worker_ttl * 1000))
        self._lost_grace_ms = max(0, int(lost_grace * 1000))
        self._lanes = {
            priority: Queue(f"{queue_name}:{priority.value}", connection=redis_client)
            for priority in LANE_ORDER
        }
        self._claim = redis_client.register_script(_CLAIM_LUA)
        # Each lane's list and scheduled set, highest priority first (RQ builds a registry
        # object per access; the depth is read on every health check).
        self._depth_keys = [(lane.key, lane.scheduled_job_registry.key) for lane in self.lanes]
        self._depth_commands = [
            command
            for queued, scheduled in self._depth_keys
            for command in (("LLEN", queued), ("ZCARD", scheduled))
        ]
        self._local = threading.local()

    @property
    def lanes(self) -> list[Queue]:
        """The RQ queues, highest priority first: what a worker listens to, in order."""
        return [self._lanes[p] for p in LANE_ORDER]

    @property
    def lane_names(self) -> list[str]:
        """Names of the RQ queues, highest priority first."""
        return [lane.name for lane in self.lanes]

    def job_id(self, tracker_id: str) -> str:
        """The RQ job id of the tracker's scrape job."""
        return job_id_for(self._queue_name, tracker_id)

    def marker_key(self, tracker_id: str) -> str:
        """The Redis key of the tracker's claim marker."""
        return f"{self._queue_name}:queued:{tracker_id}"

    def lost_key(self, tracker_id: str) -> str:
        """The Redis key noting when the tracker's job was first seen in no lane."""
        return f"{self._queue_name}:lost:{tracker_id}"

    @property
    def worker_ttl(self) -> float:
        """Seconds a worker's heartbeat lasts; a worker must beat more often than this."""
        return self._worker_ttl_ms / 1000

    def worker_key(self, worker_name: str) -> str:
        """The Redis key that exists while the worker ``worker_name`` is alive."""
        return f"{self._queue_name}:worker:{worker_name}"

    def beat(self, worker_name: str) -> None:
        """The worker is alive for another ``worker_ttl``: its started job is not dead.

        Raises:
            QueueUnavailableError: Redis cannot be reached.
        """
        with _unavailable_as_queue_error():
            self._redis.set(self.worker_key(worker_name), "1", px=self._worker_ttl_ms)

    def forget(self, worker_name: str) -> None:
        """The worker stopped: drop its heartbeat at once.

        Raises:
            QueueUnavailableError: Redis cannot be reached (the heartbeat then expires by itself).
        """
        with _unavailable_as_queue_error():
            self._redis.delete(self.worker_key(worker_name))

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Queue a job per tracker not already queued, scheduled or running; how many were new.

        Two round trips whatever the number of trackers: the claim script, then one
        MULTI/EXEC pipeline writing every new job. ``not_before`` in the future gives RQ
        scheduled jobs.

        Raises:
            QueueUnavailableError: Redis cannot be reached or refuses writes.
            ValueError: a tracker id cannot be part of an RQ job id.
        """
        ids = list(dict.fromkeys(tracker_ids))
        for tracker_id in ids:
            if not _JOB_ID.fullmatch(tracker_id):
                raise ValueError(f"Tracker id {tracker_id!r} cannot be used in an RQ job id")
        if not ids:
            return 0
        at = _deferral(not_before)
        lane = self._lanes[priority]
        with _unavailable_as_queue_error():
            won, ended = self._claim_ids(ids)
            if not won:
                return 0
            with self._redis.pipeline(transaction=True) as pipe:
                _drop_ended_jobs(pipe, ended)
                self._write_jobs(lane, won, at, pipe)
                pipe.execute()
        return len(won)

    def is_queued(self, tracker_id: str) -> bool:
        """Whether the tracker's job is queued, scheduled or running, or is being written now.

        Raises:
            QueueUnavailableError: Redis cannot be reached.
        """
        with _unavailable_as_queue_error(), self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(Job.key_for(self.job_id(tracker_id)), "status")
            pipe.exists(self.marker_key(tracker_id))
            status, claimed = pipe.execute()
        return bool(claimed) or (status is not None and _text(status) in _LIVE_STATUSES)

    def depth(self) -> int:
        """Jobs waiting to run across the lanes: queued plus scheduled (not the running ones).

        Raises:
            QueueUnavailableError: Redis cannot be reached.
        """
        return sum(self._lane_counts())

    def lane_depths(self) -> dict[Priority, int]:
        """Jobs waiting in each lane: queued plus scheduled.

        Raises:
            QueueUnavailableError: Redis cannot be reached.
        """
        counts = self._lane_counts()
        return {p: counts[2 * i] + counts[2 * i + 1] for i, p in enumerate(LANE_ORDER)}

    def _lane_counts(self) -> list[int]:
        """``LLEN`` and ``ZCARD`` of each lane, highest priority first, in one round trip.

        Sent on a connection of the calling thread's own, made by the client's pool and kept
        open (the health check reads the depth on every call: a pipeline borrowed from the pool
        cost more CPU than the round trip). A connection found broken is dropped and the
        commands sent once more on a new one.
        """
        with _unavailable_as_queue_error():
            connection = self._held_connection()
            try:
                return self._send_counts(connection)
            except (redis.ConnectionError, redis.TimeoutError):
                connection.disconnect()  # e.g. Redis restarted: once more on a new connection
            except BaseException:
                connection.disconnect()  # its state is unknown
                raise
            try:
                return self._send_counts(connection)
            except BaseException:
                connection.disconnect()
                raise

    def _held_connection(self) -> Any:
        held: tuple[int, Any] | None = getattr(self._local, "held", None)
        pid = os.getpid()
        if held is None or held[0] != pid:  # a forked child makes its own
            held = self._local.held = (pid, self._redis.connection_pool.make_connection())
        return held[1]

    def _send_counts(self, connection: Any) -> list[int]:
        commands = self._depth_commands
        connection.send_packed_command(connection.pack_commands(commands))
        return [int(connection.read_response()) for _ in commands]

    def discard(self, tracker_ids: Sequence[str]) -> None:
        """Delete the dead jobs of trackers whose lease expired (their worker is gone, or the
        job is in no lane), with RQ's record of their executions.

        A SIGKILLed worker leaves its job "started" until RQ's own cleanup, long after the
        database lease ran out; without this the tracker could not be queued again. A job whose
        worker is still alive is left to finish: it cannot store anything (its lease token is
        stale), and deleting it under a live worker breaks RQ's own bookkeeping.

        Raises:
            QueueUnavailableError: Redis cannot be reached.
        """
        if not tracker_ids:
            return
        with _unavailable_as_queue_error():
            self._run_claim(list(dict.fromkeys(tracker_ids)), claim=False)

    def release(self, tracker_id: str) -> None:
        """Drop the tracker's claim marker; the job calls this when it is done with the tracker.

        Raises:
            QueueUnavailableError: Redis cannot be reached (the marker then expires by itself).
        """
        with _unavailable_as_queue_error():
            self._redis.delete(self.marker_key(tracker_id))

    def _claim_ids(self, ids: list[str]) -> tuple[list[str], list[tuple[str, str, str]]]:
        """Claim atomically; the winners, and (job id, status, origin) of ended jobs to drop."""
        won: list[str] = []
        ended: list[tuple[str, str, str]] = []
        for tracker_id, (claimed, status, origin) in zip(
            ids, self._run_claim(ids, claim=True), strict=True
        ):
            if not claimed:
                continue
            won.append(tracker_id)
            if status:
                ended.append((self.job_id(tracker_id), status, origin))
        return won, ended

    def _run_claim(self, ids: list[str], *, claim: bool) -> list[tuple[bool, str, str]]:
        """The claim script over ``ids`` (dropping dead jobs, claiming when ``claim``): per
        tracker, whether it was claimed, and the status and origin of an ended job to remove."""
        keys: list[str] = []
        for tracker_id in ids:
            job_key = Job.key_for(self.job_id(tracker_id))
            keys += (job_key, self.marker_key(tracker_id), self.lost_key(tracker_id))
        args: list[str | int] = [
            self._claim_ttl_ms,
            self.worker_key(""),
            self._lost_grace_ms,
            "1" if claim else "0",
        ]
        reply = self._claim(keys=keys, args=args)
        answers: list[tuple[bool, str, str]] = []
        for tracker_id, (claimed, status, origin, dropped) in zip(ids, reply, strict=True):
            if dropped:
                log.warning(
                    "tracker %s: its RQ job was dead (%s) and is dropped",
                    tracker_id,
                    _text(dropped),
                )
            answers.append((bool(int(claimed)), _text(status), _text(origin)))
        return answers

    def _write_jobs(
        self, lane: Queue, tracker_ids: list[str], at: datetime | None, pipe: redis.client.Pipeline
    ) -> None:
        """Put each tracker's job in the pipeline as RQ's enqueue (or schedule) would.

        One Job object is re-aimed at each tracker in turn: RQ serializes every job itself,
        but without building a Job per tracker, which is most of ``Queue.enqueue_many``'s
        cost. Job ids go to the lane in one RPUSH (one ZADD when deferred).
        """
        status = JobStatus.QUEUED if at is None else JobStatus.SCHEDULED
        job = lane.create_job(
            self._job_func,
            args=(tracker_ids[0],),
            timeout=self._job_timeout,
            result_ttl=self._result_ttl,
            failure_ttl=self._failure_ttl,
            job_id=self.job_id(tracker_ids[0]),
            status=status,
        )
        if at is None:
            job.enqueued_at = job.created_at
        job_ids = []
        for tracker_id in tracker_ids:
            job.id = self.job_id(tracker_id)
            job.args = (tracker_id,)
            job.description = job.get_call_string()
            # What job.save() writes, less the empty fields (no worker, no end yet…): RQ reads
            # a missing field as empty, and that is a third of the bytes to send and store.
            pipe.hset(job.key, mapping={k: v for k, v in job.to_dict().items() if v != ""})
            job_ids.append(job.id)
        pipe.sadd(Queue.redis_queues_keys, lane.key)
        if at is None:
            pipe.rpush(lane.key, *job_ids)
        else:
            # Rounded up: RQ's scheduler works in whole seconds and must not start a job early.
            score = math.ceil(at.timestamp())
            pipe.zadd(lane.scheduled_job_registry.key, dict.fromkeys(job_ids, score))


def _drop_ended_jobs(pipe: redis.client.Pipeline, ended: list[tuple[str, str, str]]) -> None:
    """Delete ended jobs (finished, failed…) whose id a new job is about to take."""
    for job_id, status, origin in ended:
        pipe.delete(
            Job.key_for(job_id),
            Job.dependents_key_for(job_id),
            Result.get_key(job_id),  # type: ignore[no-untyped-call]  # rq leaves it untyped
            ExecutionRegistry.key_template.format(job_id),
        )
        template = _ENDED_REGISTRIES.get(status)
        if template is not None and origin:
            pipe.zrem(template.format(origin), job_id)
