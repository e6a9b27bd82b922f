"""Query worker processes and a fair scheduler in front of them.

The event loop never runs a query: a job goes to a worker process (``worker.worker_main``) over a
socket pair, and the loop awaits the answer with the query's time limit; a worker that overruns is
killed and replaced. Fair share between clients (keyed by IP address):

- each client has its own queue (at most ``client_queue`` jobs waiting, more get 503 at once) and
  the whole server at most ``max_queue`` waiting jobs (503 beyond);
- a free worker goes to the waiting client with the fewest running jobs, then the least worker time
  used recently (halving every ``USAGE_HALF_LIFE`` seconds), then the oldest job;
- a client that already has a job running may take a free worker only if another one stays free,
  so a newcomer finds a worker without waiting for a heavy query to end;
- a job that has not started after ``queue_wait`` seconds gets 503.

Every way a job can fail is a ``kg.query_guard.QueryProblem`` raised by ``Pool.submit`` (its
``status`` is the HTTP answer of ``kg serve``). ``BlockingPool`` drives a pool from code without an
event loop (``kg mcp``): the same workers, limits and errors.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import multiprocessing
import pickle
import signal
import socket
import struct
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..query_guard import (
    PROBLEMS,
    Busy,
    QueryFailed,
    QueryProblem,
    QueryTimeout,
    WorkerFailed,
    over_memory,
)
from .worker import HEADER, recv_msg, send_msg, worker_main

USAGE_HALF_LIFE = 10.0  # seconds


@dataclass
class Limits:
    timeout: float = 10.0  # seconds a query may run (504 beyond)
    workers: int = 4  # query worker processes
    queue_wait: float = 5.0  # seconds a job may wait for a worker (503 beyond)
    max_queue: int = 256  # jobs waiting, all clients together
    client_queue: int = 64  # jobs waiting, one client
    max_result_mb: int = 50  # bytes of one result (422 beyond)
    memory_mb: int = 1024  # address space a worker may add to its loaded graph
    allow_service: frozenset[str] = field(default_factory=frozenset)


class _Lost(Exception):
    pass


class Worker:
    """One worker process and the socket pair to it. Messages are length-prefixed pickles
    (``worker.send_msg`` / ``worker.recv_msg``); the server side reads them with asyncio streams, so
    waiting for a worker costs the event loop nothing and a large result arrives in pieces."""

    def __init__(self, ctx, build_dir: str, limits: Limits):
        self.sock, child = socket.socketpair()
        self.proc = ctx.Process(
            target=worker_main,
            args=(child, build_dir, limits.max_result_mb * 1_000_000, limits.memory_mb, limits.allow_service),
            daemon=True,
        )
        try:
            self.proc.start()
        finally:
            child.close()
        self.reader = self.writer = None

    def wait_ready(self, timeout: float) -> None:
        """Blocks until the worker has loaded the graph; RuntimeError if it does not."""
        self.sock.settimeout(timeout)
        try:
            state, msg = recv_msg(self.sock)
        except TimeoutError:
            self.kill()
            raise RuntimeError("a query worker did not start in time") from None
        except (EOFError, OSError):
            self.kill()
            raise RuntimeError("a query worker stopped while loading the graph") from None
        if state != "ready":
            self.kill()
            raise RuntimeError(f"a query worker could not load the graph: {msg}")

    async def call(self, msg, timeout: float):
        """Send one job and wait up to ``timeout`` s for its answer (TimeoutError beyond)."""
        if self.writer is None:
            self.sock.setblocking(False)
            self.reader, self.writer = await asyncio.open_connection(sock=self.sock)

        async def exchange():
            data = pickle.dumps(msg)
            self.writer.write(struct.pack(HEADER, len(data)) + data)
            await self.writer.drain()
            (n,) = struct.unpack(HEADER, await self.reader.readexactly(struct.calcsize(HEADER)))
            return pickle.loads(await self.reader.readexactly(n))

        try:
            return await asyncio.wait_for(exchange(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            raise _Lost from None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.close_socket()

    def close_socket(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(RuntimeError):  # the event loop has already ended
                self.writer.close()
        self.sock.close()

    def stop(self) -> None:
        """Blocking: ask the worker to end, kill it if it does not."""
        with contextlib.suppress(OSError):
            self.sock.setblocking(True)
            send_msg(self.sock, None)
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.close_socket()


@dataclass
class _Job:
    client: str
    msg: tuple
    seq: int
    future: asyncio.Future
    timeout: float
    started: bool = False


class Pool:
    def __init__(self, build_dir: str, limits: Limits):
        self.build_dir = build_dir
        self.limits = limits
        self.ctx = multiprocessing.get_context("spawn")
        self.free: list[Worker] = []
        self.all: set[Worker] = set()
        self.waiting: dict[str, deque[_Job]] = {}
        self.queued = 0
        self.running: dict[str, int] = {}
        self.usage: dict[str, tuple[float, float]] = {}  # client -> (seconds, when)
        self.seq = itertools.count()
        self.tasks: set[asyncio.Task] = set()
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kg-workers")  # start/stop
        self.closed = False

    # -- start and stop (blocking; called outside the event loop or in the executor) ----------------

    def start(self) -> None:
        """Start every worker and wait until each has loaded the graph (raises RuntimeError)."""
        workers = [self._spawn() for _ in range(max(1, self.limits.workers))]
        try:
            for w in workers:
                w.wait_ready(300)
        except RuntimeError:
            self.close()
            raise
        self.free.extend(workers)

    def _spawn(self) -> Worker:
        w = Worker(self.ctx, self.build_dir, self.limits)
        self.all.add(w)
        return w

    def close(self) -> None:
        self.closed = True
        for w in list(self.all):
            w.stop()
        self.all.clear()
        self.free.clear()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- the scheduler (event loop only) ----------------------------------------------------------

    def _used(self, client: str, now: float) -> float:
        secs, when = self.usage.get(client, (0.0, now))
        return secs * 0.5 ** ((now - when) / USAGE_HALF_LIFE)

    async def submit(self, client: str, msg: tuple, timeout: float | None = None):
        """Run one job (``kg.serve.worker``) for ``client`` and return the worker's answer; a
        ``QueryProblem`` when it has none. ``timeout`` may shorten the time limit, never lengthen it."""
        lim = self.limits
        if self.queued >= lim.max_queue:
            raise Busy(f"the server is busy ({lim.max_queue} queries waiting); try again later")
        q = self.waiting.setdefault(client, deque())
        if len(q) >= lim.client_queue:
            raise Busy(f"you have {lim.client_queue} queries waiting already; try again later")
        limit = lim.timeout if timeout is None else min(timeout, lim.timeout)
        job = _Job(client, msg, next(self.seq), asyncio.get_running_loop().create_future(), limit)
        q.append(job)
        self.queued += 1
        self._dispatch()
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), lim.queue_wait)
        except asyncio.TimeoutError:
            if not job.started:
                self._withdraw(job)
                raise Busy(
                    f"no query worker became free within {lim.queue_wait:g} s; try again later"
                ) from None
            return await job.future
        except asyncio.CancelledError:
            if not job.started:
                self._withdraw(job)
            raise

    def _withdraw(self, job: _Job) -> None:
        q = self.waiting.get(job.client)
        if q is not None and job in q:
            q.remove(job)
            self.queued -= 1
            if not q:
                del self.waiting[job.client]

    def _pick(self) -> _Job | None:
        now = time.monotonic()
        best, best_key = None, None
        for client, q in self.waiting.items():
            if not q:
                continue
            run = self.running.get(client, 0)
            if run and len(self.free) < 2:  # keep one worker for clients with nothing running
                continue
            key = (run, self._used(client, now), q[0].seq)
            if best_key is None or key < best_key:
                best, best_key = client, key
        if best is None:
            return None
        q = self.waiting[best]
        job = q.popleft()
        if not q:
            del self.waiting[best]
        self.queued -= 1
        return job

    def _dispatch(self) -> None:
        while self.free and self.queued and not self.closed:
            job = self._pick()
            if job is None:
                return
            worker = self.free.pop()
            job.started = True
            self.running[job.client] = self.running.get(job.client, 0) + 1
            task = asyncio.get_running_loop().create_task(self._run(worker, job))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _run(self, worker: Worker, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        result: object
        healthy = False
        try:
            answer = await worker.call(job.msg, job.timeout)
            healthy = True
            result = answer[1] if answer[0] == "ok" else PROBLEMS.get(answer[1], QueryProblem)(answer[2])
        except TimeoutError:
            result = QueryTimeout(f"query timed out after {job.timeout:g} s")
        except _Lost:
            await loop.run_in_executor(self.executor, worker.proc.join, 2)
            code = worker.proc.exitcode
            if code == -signal.SIGSEGV:  # the stack overflowed (``worker.STACK_MB``)
                result = QueryFailed(
                    "query failed: it nests or chains more parts than the query engine can take "
                    "(groups, BINDs, operators); split it up"
                )
            elif code is not None and code < 0 and self.limits.memory_mb:
                result = over_memory(self.limits.memory_mb)
            else:
                result = WorkerFailed("the query worker failed")
        except Exception as e:  # noqa: BLE001 - the request still gets an answer
            result = WorkerFailed(f"the query worker failed: {e}")
        now = time.monotonic()
        self.usage[job.client] = (self._used(job.client, now) + (now - t0), now)
        if len(self.usage) > 10_000:  # forget clients whose usage has decayed away
            self.usage = {c: v for c, v in self.usage.items() if self._used(c, now) > 0.01}
        n = self.running.get(job.client, 1) - 1
        if n:
            self.running[job.client] = n
        else:
            self.running.pop(job.client, None)
        if not job.future.done():
            if isinstance(result, QueryProblem):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)
        if healthy:
            self.free.append(worker)
        else:
            self.all.discard(worker)
            worker.proc.kill()
            await loop.run_in_executor(self.executor, worker.proc.join, 5)
            worker.close_socket()
            self._replace()
        self._dispatch()

    def _replace(self) -> None:
        async def start():
            loop = asyncio.get_running_loop()
            try:
                w = await loop.run_in_executor(self.executor, self._spawn)
                await loop.run_in_executor(self.executor, w.wait_ready, 300)
            except RuntimeError:
                return
            if self.closed:
                await loop.run_in_executor(self.executor, w.stop)
                return
            self.free.append(w)
            self._dispatch()

        task = asyncio.get_running_loop().create_task(start())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class BlockingPool:
    """A ``Pool`` for code without an event loop: the pool's loop runs in a thread of its own, and
    ``run`` blocks until the worker's answer (or raises its ``QueryProblem``). Safe to call from
    several threads at once."""

    def __init__(self, build_dir: str, limits: Limits, client: str = "local"):
        self.client = client
        self.pool = Pool(build_dir, limits)
        self.pool.start()  # RuntimeError when the workers cannot load the graph
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kg-pool", daemon=True)
        self.thread.start()

    @property
    def limits(self) -> Limits:
        return self.pool.limits

    def run(self, msg: tuple, timeout: float | None = None):
        if self.pool.closed:
            raise WorkerFailed("the query workers have been stopped")
        done = asyncio.run_coroutine_threadsafe(self.pool.submit(self.client, msg, timeout), self.loop)
        # the pool answers within the queue wait and the time limit, and a few seconds to replace a
        # worker; beyond that only a stopped loop (``close`` from another thread) leaves it waiting
        bound = self.limits.queue_wait + self.limits.timeout + 30
        try:
            return done.result(bound)
        except concurrent.futures.TimeoutError:
            done.cancel()
            raise WorkerFailed(f"no answer from the query workers within {bound:g} s") from None

    def close(self) -> None:
        if self.pool.closed:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.pool.close()
        if not self.thread.is_alive():
            self.loop.close()
