"""The MapReduce worker process (course: mr/worker.go + main/mrworker.go).

    python -m mr.worker APP.py

Asks the coordinator for tasks in a loop (handout) and runs them with the app's map/reduce:

* map task X reads its input, calls map(filename, contents), and splits the pairs into
  nReduce buckets by ihash(key) % nReduce; bucket Y goes to the intermediate file mr-X-Y
  (format: mr/intermediate.py);
* reduce task Y reads mr-X-Y for every X, groups values by key, and writes one
  "key reduce(key, values)" line per key, in key order, to mr-out-Y.

Every file is first written to a hidden temp file in the same folder; the coordinator
renames the first finisher's files into place (handout: avoid partially written files).
A worker started at the same moment as the coordinator (as in the README) waits up to
CONNECT_WAIT_S for the coordinator's socket before it gives up.
Exit status: 0 once the job is over (the coordinator says "exit", or it is gone after we had
reached it: the handout's "exit when call() fails"); 1 when the app is unusable, the app
raised, or the coordinator was never reachable; 130 on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TypeVar

from mr import intermediate, rpc
from mr.common import (
    AppError,
    MapFn,
    ReduceFn,
    create_temp,
    format_output,
    ihash,
    intermediate_name,
    load_app,
    output_name,
    read_input,
    remove_quietly,
)
from tools.cli import ArgumentParser, run

Reply = TypeVar("Reply")

# A worker that has never reached the coordinator retries this long, every CONNECT_RETRY_S:
# a coordinator started in the same breath needs a moment to import and create its socket
# (test-mr.sh sleeps one second for it). Once reached, a failed call means the job is over.
CONNECT_WAIT_S = 5.0
CONNECT_RETRY_S = 0.1


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one task, then resume it (if it was running).

    Why: a task allocates millions of tuples and lists that all live until it ends, and the
    collector would traverse them again and again without finding a cycle (mr.sequential,
    which keeps it on, spends 1 to 2 s of its 6 to 8 s in it on the word-count benchmark).
    Reference counting still frees everything; a cycle the app makes waits for the next
    collection after the task.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _HashCache(dict[str, int]):
    """key -> ihash(key), for a worker's life: ihash is pure Python, and the map tasks of one
    job share most of their keys. A known key costs one subscript, with no Python call."""

    def __missing__(self, key: str) -> int:
        h = self[key] = ihash(key)
        return h


class TaskFailed(Exception):
    """The app (or reading its input) raised while running a task; carries a one-line summary."""


class Worker:
    def __init__(self, mapf: MapFn, reducef: ReduceFn, socket_path: str, folder: str = ".") -> None:
        self.mapf = mapf
        self.reducef = reducef
        self.socket_path = socket_path
        self.folder = os.path.abspath(folder)
        self.name = f"{os.getpid()}@{socket.gethostname()}"
        self._reached = False  # have we ever talked to the coordinator?
        self._hashes = _HashCache()

    def run(self) -> int:
        """Ask for and run tasks until the job is over; returns the exit status."""
        while True:
            try:
                reply = self._request_task()
            except rpc.CoordinatorUnreachable as e:
                return self._coordinator_gone(e)
            if reply.kind == rpc.EXIT:
                return 0
            if reply.kind == rpc.WAIT:
                continue  # the coordinator already waited (long poll) before answering
            try:
                with collector_paused():
                    outputs = self._run_task(reply)
            except TaskFailed as e:
                return self._report_failure(reply, str(e))
            try:
                self._finish(reply, outputs)
            except rpc.CoordinatorUnreachable as e:
                return self._coordinator_gone(e)

    # ---- tasks ----

    def _run_task(self, task: rpc.TaskReply) -> list[list[str]]:
        """Run one task into temp files; returns [temp path, final name] pairs. Leaves no temp file on error."""
        temps: list[str] = []
        try:
            if task.kind == rpc.MAP:
                self._do_map(task, temps)
                return [[tmp, intermediate_name(task.task, y)] for y, tmp in enumerate(temps)]
            if task.kind == rpc.REDUCE:
                self._do_reduce(task, temps)
                return [[temps[0], output_name(task.task)]]
            raise TaskFailed(f"unknown task kind {task.kind!r} (expecting {rpc.MAP!r} or {rpc.REDUCE!r})")
        except BaseException as e:
            remove_quietly(temps)  # whatever the cause, Ctrl-C included
            if isinstance(e, TaskFailed) or not isinstance(e, Exception):
                raise
            where = traceback.extract_tb(e.__traceback__)[-1]
            raise TaskFailed(
                f"{task.kind} task {task.task}: {type(e).__name__}: {e} (at {where.filename}:{where.lineno})"
            ) from e

    def _do_map(self, task: rpc.TaskReply, temps: list[str]) -> None:
        pairs = self.mapf(task.filename, read_input(task.filename))
        buckets: list[intermediate.Runs] = [[] for _ in range(task.n_reduce)]
        hashes, n_reduce = self._hashes, task.n_reduce
        for key, value, times in intermediate.group_runs(pairs):
            buckets[hashes[key] % n_reduce] += (key, value, times)
        # Every bucket is written, even empty, so reducers can read all nMap files.
        for y, runs in enumerate(buckets):
            with os.fdopen(self._temp(task, temps, intermediate_name(task.task, y)), "wb") as f:
                f.write(intermediate.encode(runs))

    def _do_reduce(self, task: rpc.TaskReply, temps: list[str]) -> None:
        merged: intermediate.Merged = {}
        for x in range(task.n_map):
            path = os.path.join(self.folder, intermediate_name(x, task.task))
            intermediate.merge_runs(merged, intermediate.read(path))
        with os.fdopen(self._temp(task, temps, output_name(task.task)), "w", encoding="utf-8") as out:
            for key in sorted(merged):  # the course sorts by key before reducing
                out.write(format_output(key, self.reducef(key, intermediate.values_of(merged[key]))))

    def _temp(self, task: rpc.TaskReply, temps: list[str], final: str) -> int:
        """A new temp file for final's contents (its fd), recorded in temps before anything can fail."""
        fd, path = create_temp(self.folder, f"{task.job}-{final}")
        temps.append(path)
        return fd

    # ---- talking to the coordinator ----

    def _request_task(self) -> rpc.TaskReply:
        """The next task; before the first contact, retry a missing coordinator for CONNECT_WAIT_S."""
        deadline = time.monotonic() + CONNECT_WAIT_S
        while True:
            try:
                return self._call("Coordinator.RequestTask", rpc.RequestTaskArgs(self.name), rpc.TaskReply)
            except rpc.CoordinatorUnreachable:
                if self._reached or time.monotonic() >= deadline:
                    raise
            time.sleep(CONNECT_RETRY_S)

    def _finish(self, task: rpc.TaskReply, outputs: list[list[str]]) -> None:
        """Report success; if another copy won (or the coordinator is gone) our temp files are garbage."""
        accepted = False
        try:
            reply = self._call(
                "Coordinator.FinishTask",
                rpc.FinishTaskArgs(task.kind, task.task, task.attempt, outputs),
                rpc.FinishTaskReply,
            )
            accepted = reply.accepted
        finally:
            if not accepted:
                remove_quietly(tmp for tmp, _ in outputs)

    def _report_failure(self, task: rpc.TaskReply, error: str) -> int:
        print(f"mr.worker: the app raised; giving up: {error}", file=sys.stderr)
        try:
            self._call(
                "Coordinator.FailTask", rpc.FailTaskArgs(task.kind, task.task, task.attempt, error), rpc.FailTaskReply
            )
        except rpc.CoordinatorUnreachable:
            pass  # the coordinator will reassign the task after 10 s anyway
        return 1

    def _coordinator_gone(self, e: rpc.CoordinatorUnreachable) -> int:
        if self._reached:
            return 0  # handout: workers may exit when call() fails, since the job is done
        print(
            f"mr.worker: cannot reach the coordinator at {self.socket_path!r} (waited {CONNECT_WAIT_S:.0f} s): {e}",
            file=sys.stderr,
        )
        return 1

    def _call(self, method: str, args: object, reply_type: Callable[..., Reply]) -> Reply:
        reply = rpc.call(self.socket_path, method, args, reply_type)
        self._reached = True
        return reply


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m mr.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("app", metavar="APP.py", help="the app: a Python file defining map() and reduce()")
    opts = parser.parse_args(argv)
    try:
        app = load_app(opts.app)
        path = rpc.coordinator_sock()
    except (AppError, ValueError) as e:
        print(f"mr.worker: {e}", file=sys.stderr)
        return 1
    return Worker(app.map, app.reduce, path).run()


if __name__ == "__main__":
    run("mr.worker", main)
