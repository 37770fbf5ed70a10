"""The MapReduce coordinator (course: mr/coordinator.go + main/mrcoordinator.go).

    python -m mr.coordinator [--no-backups] [--nreduce N] INPUT...

One map task per input file, then nReduce (10) reduce tasks once every map is done. Workers
ask for tasks over RPC (rpc.py); the main loop polls done() once a second, as the course's
mrcoordinator does, lingers one more second so asking workers hear "exit", then removes the
socket. Exit status 0 when the job is done, 1 when it failed (an app raised too often) or the
input is bad.

Scheduling rules, each in one function below:
* reassignment (handout: "a task not finished within ten seconds is given to another worker",
  since a dead worker cannot be told from a slow one): _expire_locked.
* backup tasks (MapReduce paper, section 3.6: "when a MapReduce operation is close to completion,
  the master schedules backup executions of the remaining in-progress tasks"): _backup_locked.
* first finisher wins: finish_task. Workers write temp files and the coordinator renames the
  first finisher's into place, so a slower copy's output is discarded, never renamed over a file
  a reducer may be reading.
"""

from __future__ import annotations

import enum
import glob
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from mr import rpc
from mr.common import TEMP_PREFIX, check_inputs, intermediate_name, output_name, remove_quietly
from tools.cli import ArgumentParser, int_in, run

log = logging.getLogger("mr.coordinator")

N_REDUCE = 10  # main/mrcoordinator.go: MakeCoordinator(os.Args[1:], 10)
REASSIGN_AFTER_S = 10.0  # handout: ten seconds
# Backups. A task gets one backup copy when (a) no idle task is left in its phase, (b) at
# least one task of that phase has finished, and (c) it has run for BACKUP_FACTOR times the
# mean duration of that phase's finished tasks (and at least BACKUP_MIN_AGE_S).
# Why this cannot fire in test-mr.sh's job count test, which needs exactly 8 map runs:
# jobcount's maps sleep 2000-4999 ms, so every finished map took >= 2 s, the threshold is
# >= 4 * 2 s = 8 s, and no map runs longer than 5 s plus a few ms of file and RPC work.
# Any two jobcount maps differ by a factor below 2.5; 4 leaves 3 s of slack for a loaded machine.
# The handout suggests waiting about 10 s; a threshold relative to the phase's own tasks is
# what lets a real straggler (benchmarks/mr_bench.py) be backed up well before the 10 s rule.
BACKUP_FACTOR = 4.0
BACKUP_MIN_AGE_S = 1.0
# An app that raises reports it (FailTask); after this many failures of one task the job
# fails rather than retry a deterministic bug forever (Hadoop's default is 4 attempts).
MAX_TASK_FAILURES = 3
# A worker's task request waits at most this long for a task to become available (a long
# poll on a condition variable), then gets WAIT and asks again.
LONG_POLL_S = 2.0
DONE_POLL_S = 1.0  # mrcoordinator.go: polls Done() once a second ...
LINGER_S = 1.0  # ... and sleeps one more second before exiting


class State(enum.Enum):
    IDLE = "idle"
    IN_PROGRESS = "in-progress"
    COMMITTING = "committing"  # a finisher's files are being renamed into place
    DONE = "done"


@dataclass
class Attempt:
    id: int
    started: float
    worker: str


@dataclass
class Task:
    kind: str  # rpc.MAP or rpc.REDUCE
    index: int
    filename: str = ""  # map tasks only
    state: State = State.IDLE
    # Copies believed alive: handed out less than REASSIGN_AFTER_S ago and not yet reported.
    live: list[Attempt] = field(default_factory=list)
    failures: int = 0

    def __str__(self) -> str:
        return f"{self.kind} {self.index}"


class Coordinator:
    """The task table and its RPC handlers. Thread-safe; handlers run on the RPC server's threads."""

    def __init__(
        self,
        files: list[str],
        n_reduce: int = N_REDUCE,
        *,
        backups: bool = True,
        clock: Callable[[], float] = time.monotonic,
        long_poll_s: float = LONG_POLL_S,
    ) -> None:
        if not files:
            raise ValueError("a job needs at least one input file")
        if n_reduce < 1:
            raise ValueError(f"nReduce must be >= 1, got {n_reduce}")
        self.n_reduce = n_reduce
        self.backups = backups
        self.job = secrets.token_hex(4)  # in temp file names, so shutdown sweeps only this job's
        self._clock = clock
        self._long_poll_s = long_poll_s
        self._server: rpc.RpcServer | None = None
        # mu guards every field below; never held across file or socket I/O.
        self.mu = threading.Lock()
        # Notified when a task finishes or fails, or the job ends: a task request waiting for
        # work re-checks (the next phase may be open, a task idle again, the job over).
        self.changed = threading.Condition(self.mu)
        self.maps = [Task(rpc.MAP, i, filename=f) for i, f in enumerate(files)]
        self.reduces = [Task(rpc.REDUCE, i) for i in range(n_reduce)]
        self._next_attempt = 1
        self._attempts: dict[int, Attempt] = {}  # every attempt ever handed out, by id
        self._durations: dict[str, list[float]] = {rpc.MAP: [], rpc.REDUCE: []}  # winners' run times
        self.failure: str | None = None  # set once: why the job failed
        self.stats = {"assigned": 0, "reassigned": 0, "backups": 0, "discarded": 0}

    # ---- RPC handlers (wire names "Coordinator.RequestTask" etc., see serve()) ----

    def request_task(self, args: rpc.RequestTaskArgs) -> rpc.TaskReply:
        """Hand out a task, waiting up to the long poll for one; WAIT if none, EXIT when the job is over."""
        with self.mu:
            deadline = self._clock() + self._long_poll_s
            while True:
                if self._over_locked():
                    return rpc.TaskReply(rpc.EXIT)
                now = self._clock()
                self._expire_locked(now)
                reply = self._assign_locked(now, args.worker)
                if reply is not None:
                    return reply
                if now >= deadline:
                    return rpc.TaskReply(rpc.WAIT)
                # Wake for a finish/failure (notify) or when a running task crosses the
                # 10 s or backup threshold, whichever comes first.
                self.changed.wait(min(deadline, self._next_timer_locked(now)) - now)

    def finish_task(self, args: rpc.FinishTaskArgs) -> rpc.FinishTaskReply:
        """First finisher wins: rename its temp files into place; tell later copies to discard theirs."""
        with self.mu:
            task = self._task_locked(args.kind, args.task)
            attempt = self._attempts.get(args.attempt)
            if task is None or attempt is None or task.state in (State.DONE, State.COMMITTING) or self._over_locked():
                self.stats["discarded"] += 1
                return rpc.FinishTaskReply(accepted=False)
            if not self._outputs_valid_locked(task, args.outputs):
                log.error("%s: attempt %d reported unexpected outputs %r; ignored", task, args.attempt, args.outputs)
                return rpc.FinishTaskReply(accepted=False)
            # Claimed: from here no other copy can win, and the lock is released for the renames.
            task.state = State.COMMITTING
        error = _rename_all(args.outputs)
        with self.mu:
            if error is None:
                task.state = State.DONE
                task.live.clear()
                self._durations[task.kind].append(self._clock() - attempt.started)
            else:
                log.error(
                    "%s: cannot rename attempt %d's output into place (%s); will retry the task",
                    task,
                    args.attempt,
                    error,
                )
                task.live = [a for a in task.live if a.id != args.attempt]
                task.state = State.IN_PROGRESS if task.live else State.IDLE
            self.changed.notify_all()
            return rpc.FinishTaskReply(accepted=error is None)

    def fail_task(self, args: rpc.FailTaskArgs) -> rpc.FailTaskReply:
        """The app raised: retry the task elsewhere, or fail the job after MAX_TASK_FAILURES."""
        with self.mu:
            task = self._task_locked(args.kind, args.task)
            if task is None:
                return rpc.FailTaskReply(job_failed=self.failure is not None)
            task.failures += 1
            task.live = [a for a in task.live if a.id != args.attempt]
            log.warning("%s failed (%d of %d allowed): %s", task, task.failures, MAX_TASK_FAILURES, args.error)
            if task.failures >= MAX_TASK_FAILURES and self.failure is None and task.state is not State.DONE:
                self.failure = f"{task} failed {task.failures} times; last error: {args.error}"
            elif task.state is State.IN_PROGRESS and not task.live:
                task.state = State.IDLE
            self.changed.notify_all()
            return rpc.FailTaskReply(job_failed=self.failure is not None)

    # ---- the main loop's view ----

    def done(self) -> bool:
        """True once every reduce output is in place, or the job has failed (course: Done())."""
        with self.mu:
            return self._over_locked()

    def serve(self, path: str) -> None:
        """Listen on the Unix socket at path (course: server()); removes a stale socket first."""
        if os.path.exists(path):
            if rpc.socket_is_live(path):
                raise RuntimeError(f"another coordinator is already listening at {path!r}")
            os.remove(path)  # course: os.Remove(sockname) before Listen
        self._server = rpc.RpcServer(
            path,
            {
                "Coordinator.RequestTask": self._wire(self.request_task, rpc.RequestTaskArgs),
                "Coordinator.FinishTask": self._wire(self.finish_task, rpc.FinishTaskArgs),
                "Coordinator.FailTask": self._wire(self.fail_task, rpc.FailTaskArgs),
            },
        )

    def shutdown(self) -> None:
        """Stop serving, remove the socket, and sweep temp files this job's crashed workers left here."""
        with self.mu:
            if self.failure is None and not self._over_locked():
                self.failure = "coordinator shut down before the job finished"
            self.changed.notify_all()  # waiting requests answer EXIT
        if self._server is not None:
            self._server.close()
            self._server = None
        remove_quietly(glob.glob(f"{TEMP_PREFIX}{self.job}-*"))

    # ---- scheduling rules (all *_locked: caller holds mu) ----

    def _over_locked(self) -> bool:
        return self.failure is not None or all(t.state is State.DONE for t in self.reduces)

    def _phase_locked(self) -> list[Task]:
        """The tasks that may run now: maps until all are done, then reduces (handout)."""
        return self.maps if any(t.state is not State.DONE for t in self.maps) else self.reduces

    def _expire_locked(self, now: float) -> None:
        """Handout: a copy silent for REASSIGN_AFTER_S is presumed dead; with no copy left the task is idle again.

        The dead-looking copy may still finish; finish_task accepts it if no one has won yet.
        """
        for task in self._phase_locked():
            if task.state is not State.IN_PROGRESS:
                continue
            alive = [a for a in task.live if now - a.started < REASSIGN_AFTER_S]
            if len(alive) < len(task.live):
                silent = [a.worker for a in task.live if a not in alive]
                log.info("%s: no word from %s for %.0f s; reassigning", task, ", ".join(silent), REASSIGN_AFTER_S)
                self.stats["reassigned"] += 1
            task.live = alive
            if not alive:
                task.state = State.IDLE

    def _assign_locked(self, now: float, worker: str) -> rpc.TaskReply | None:
        """An idle task of the current phase (lowest index first), else a backup, else None."""
        for task in self._phase_locked():
            if task.state is State.IDLE:
                task.state = State.IN_PROGRESS
                return self._hand_out_locked(task, now, worker)
        backup = self._backup_locked(now)
        if backup is None:
            return None
        log.info(
            "%s: running %.1f s, over the backup threshold %.1f s; backup copy to %s",
            backup,
            now - backup.live[0].started,
            self._backup_threshold_locked(backup.kind),
            worker,
        )
        self.stats["backups"] += 1
        return self._hand_out_locked(backup, now, worker)

    def _backup_locked(self, now: float) -> Task | None:
        """The longest-running task that deserves a backup copy (see BACKUP_FACTOR), or None."""
        if not self.backups:
            return None
        candidates = [t for t in self._phase_locked() if t.state is State.IN_PROGRESS and len(t.live) == 1]
        if not candidates:
            return None
        threshold = self._backup_threshold_locked(candidates[0].kind)
        oldest = min(candidates, key=lambda t: t.live[0].started)
        return oldest if now - oldest.live[0].started >= threshold else None

    def _backup_threshold_locked(self, kind: str) -> float:
        """How long a task of this phase must run before a backup; infinite until one task has finished."""
        done = self._durations[kind]
        if not done:
            return float("inf")
        return max(BACKUP_MIN_AGE_S, BACKUP_FACTOR * sum(done) / len(done))

    def _next_timer_locked(self, now: float) -> float:
        """When the next running copy crosses the 10 s rule or the backup threshold (inf if none)."""
        times = [float("inf")]
        for task in self._phase_locked():
            if task.state is not State.IN_PROGRESS:
                continue
            threshold = self._backup_threshold_locked(task.kind) if self.backups else float("inf")
            for a in task.live:
                times.append(a.started + REASSIGN_AFTER_S)
                if len(task.live) == 1:
                    times.append(a.started + threshold)
        # A timer already past (a backup nobody could take yet) must not spin the wait loop.
        return max(min(times), now + 0.05)

    def _hand_out_locked(self, task: Task, now: float, worker: str) -> rpc.TaskReply:
        attempt = Attempt(self._next_attempt, now, worker)
        self._next_attempt += 1
        self._attempts[attempt.id] = attempt
        task.live.append(attempt)
        self.stats["assigned"] += 1
        return rpc.TaskReply(task.kind, task.index, attempt.id, self.job, len(self.maps), self.n_reduce, task.filename)

    def _task_locked(self, kind: str, index: int) -> Task | None:
        tasks = {rpc.MAP: self.maps, rpc.REDUCE: self.reduces}.get(kind, [])
        return tasks[index] if 0 <= index < len(tasks) else None

    def _outputs_valid_locked(self, task: Task, outputs: list[list[str]]) -> bool:
        """A finisher must name exactly its task's files (mr-X-0..nReduce-1, or mr-out-Y), from our temp files."""
        if task.kind == rpc.MAP:
            expected = {intermediate_name(task.index, y) for y in range(self.n_reduce)}
        else:
            expected = {output_name(task.index)}
        finals = [final for _, final in outputs]
        temps_ok = all(os.path.basename(tmp).startswith(TEMP_PREFIX) for tmp, _ in outputs)
        return temps_ok and len(finals) == len(expected) and set(finals) == expected

    def _wire(self, handler: Callable[[Any], Any], args_type: Callable[..., Any]) -> rpc.WireHandler:
        """Adapt a handler to XML-RPC's dicts: dict -> args dataclass -> handler -> reply dict."""

        def on_wire(raw: Any) -> dict[str, Any]:
            return asdict(handler(args_type(**raw)))

        return on_wire


def _rename_all(outputs: list[list[str]]) -> str | None:
    """Rename each temp file to its final name in the same folder; an error message, or None."""
    try:
        for tmp, final in outputs:
            os.replace(tmp, os.path.join(os.path.dirname(tmp), final))
    except OSError as e:
        return f"{type(e).__name__}: {e}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m mr.coordinator", description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="input files, one map task each")
    parser.add_argument(
        "--nreduce", type=int_in(1), default=N_REDUCE, help=f"number of reduce tasks (default {N_REDUCE})"
    )
    parser.add_argument("--no-backups", action="store_true", help="never start backup copies of slow tasks")
    opts = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    error = check_inputs(opts.inputs)
    if error is not None:
        print(f"mr.coordinator: {error}", file=sys.stderr)
        return 1
    try:
        path = rpc.coordinator_sock()
        coordinator = Coordinator(opts.inputs, opts.nreduce, backups=not opts.no_backups)
        coordinator.serve(path)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"mr.coordinator: cannot start: {e}", file=sys.stderr)
        return 1
    # `timeout` sends SIGTERM: turn it into SystemExit so the finally clause removes the socket
    # (Ctrl-C's KeyboardInterrupt takes the same way out, then tools.cli.run says "interrupted").
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        while not coordinator.done():
            time.sleep(DONE_POLL_S)
        time.sleep(LINGER_S)
    finally:
        coordinator.shutdown()
    log.info(
        "job %s: %s (%s)",
        coordinator.job,
        coordinator.failure or "done",
        ", ".join(f"{k} {v}" for k, v in coordinator.stats.items()),
    )
    if coordinator.failure is not None:
        print(f"mr.coordinator: job failed: {coordinator.failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run("mr.coordinator", main)
