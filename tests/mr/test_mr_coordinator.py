"""The coordinator's scheduling rules, in process with a fake clock (no sockets, no waiting).

Handout rules checked here: maps before reduces; a task not finished ten seconds after it was
handed out goes to another worker; the first finisher wins. Ours: backups only for a task
running BACKUP_FACTOR times its phase's mean (never in the job count test), none when off,
and a job that fails after MAX_TASK_FAILURES reported app errors.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mr import rpc
from mr.common import TEMP_PREFIX, ihash
from mr.coordinator import BACKUP_FACTOR, MAX_TASK_FAILURES, REASSIGN_AFTER_S, Coordinator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # shutdown() sweeps temp files in the current folder
    return tmp_path


def make(n_maps: int, n_reduce: int = 2, backups: bool = True) -> tuple[Coordinator, FakeClock]:
    clock = FakeClock()
    return Coordinator([f"in-{i}" for i in range(n_maps)], n_reduce, backups=backups, clock=clock, long_poll_s=0), clock


def ask(c: Coordinator, worker: str = "w") -> rpc.TaskReply:
    return c.request_task(rpc.RequestTaskArgs(worker))


def finish(c: Coordinator, folder: Path, task: rpc.TaskReply, text: str = "") -> bool:
    """Write the task's outputs as temp files, as a worker does, and report them."""
    finals = [f"mr-{task.task}-{y}" for y in range(task.n_reduce)] if task.kind == rpc.MAP else [f"mr-out-{task.task}"]
    outputs = []
    for final in finals:
        tmp = folder / f"{TEMP_PREFIX}{task.job}-{final}-a{task.attempt}"
        tmp.write_text(text or f"attempt {task.attempt}")
        outputs.append([str(tmp), final])
    reply = c.finish_task(rpc.FinishTaskArgs(task.kind, task.task, task.attempt, outputs))
    if not reply.accepted:
        for tmp, _ in outputs:
            os.remove(tmp)
    return reply.accepted


def test_mr_ihash_is_fnv1a() -> None:
    # FNV-1a 32-bit test vectors, masked with 0x7fffffff as the course's ihash does.
    assert ihash("") == 0x811C9DC5 & 0x7FFFFFFF
    assert ihash("a") == 0xE40C292C & 0x7FFFFFFF
    assert ihash("foobar") == 0xBF9CF968 & 0x7FFFFFFF


def test_mr_maps_then_reduces(folder: Path) -> None:
    c, _ = make(2)
    m0, m1 = ask(c), ask(c)
    assert (m0.kind, m0.task, m0.filename, m1.task) == (rpc.MAP, 0, "in-0", 1)
    assert ask(c).kind == rpc.WAIT  # no reduce until every map is done
    assert finish(c, folder, m0) and finish(c, folder, m1)
    assert (folder / "mr-1-1").read_text() == f"attempt {m1.attempt}"
    r0, r1 = ask(c), ask(c)
    assert (r0.kind, r0.task, r1.task, r0.n_map) == (rpc.REDUCE, 0, 1, 2)
    assert not c.done()
    assert finish(c, folder, r0) and finish(c, folder, r1)
    assert c.done() and ask(c).kind == rpc.EXIT
    c.shutdown()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_mr_reassign_after_ten_seconds(folder: Path) -> None:
    c, clock = make(1)
    first = ask(c, "slow")
    clock.now += REASSIGN_AFTER_S - 0.1
    assert ask(c, "other").kind == rpc.WAIT  # 9.9 s: still the first worker's
    clock.now += 0.1
    second = ask(c, "other")
    assert (second.kind, second.task) == (rpc.MAP, 0) and second.attempt != first.attempt
    # The presumed-dead worker finishes first after all: it wins, the reassigned copy is discarded.
    assert finish(c, folder, first)
    assert not finish(c, folder, second)
    assert c.stats["reassigned"] == 1


def test_mr_no_backup_in_job_count_test(folder: Path) -> None:
    """jobcount maps take 2-5 s, so the threshold is at least BACKUP_FACTOR x 2 s = 8 s: never reached."""
    c, clock = make(3)
    a, b = ask(c, "A"), ask(c, "B")
    clock.now += 2.0
    assert finish(c, folder, a)  # the quickest possible map: threshold 8 s
    a = ask(c, "A")  # the last map: from now on an idle worker would get a backup, if any
    clock.now += 2.99
    assert ask(c, "idle").kind == rpc.WAIT  # B's map has run 4.99 s, the slowest jobcount allows
    assert finish(c, folder, b)
    clock.now += 2.0
    assert ask(c, "idle").kind == rpc.WAIT  # A's map at 4.99 s
    assert finish(c, folder, a)
    assert c.stats["backups"] == 0 and c.stats["assigned"] == 3


def test_mr_backup_for_a_straggler(folder: Path) -> None:
    c, clock = make(3)
    m0, m1, slow = ask(c, "A"), ask(c, "B"), ask(c, "S")
    clock.now += 1.0
    assert finish(c, folder, m0) and finish(c, folder, m1)  # mean 1 s: threshold 4 s
    clock.now += BACKUP_FACTOR * 1.0 - 1.0 - 0.01
    assert ask(c, "A").kind == rpc.WAIT
    clock.now += 0.01
    backup = ask(c, "A")
    assert (backup.kind, backup.task) == (rpc.MAP, slow.task)
    assert ask(c, "B").kind == rpc.WAIT  # one backup copy per task
    assert finish(c, folder, backup)  # first finisher wins ...
    assert not finish(c, folder, slow)  # ... the straggler's output is discarded
    assert ask(c).kind == rpc.REDUCE


def test_mr_no_backups_when_off(folder: Path) -> None:
    c, clock = make(2, backups=False)
    m0, _ = ask(c), ask(c)
    clock.now += 1.0
    finish(c, folder, m0)
    clock.now += 8.0
    assert ask(c).kind == rpc.WAIT
    clock.now += 1.0  # the 10 s rule still applies
    assert ask(c).task == 1


def test_mr_job_fails_after_repeated_app_errors(folder: Path) -> None:
    c, _ = make(1)
    for i in range(MAX_TASK_FAILURES):
        t = ask(c)
        assert (t.kind, t.task) == (rpc.MAP, 0)
        reply = c.fail_task(rpc.FailTaskArgs(t.kind, t.task, t.attempt, "ValueError: boom"))
        assert reply.job_failed == (i == MAX_TASK_FAILURES - 1)
    assert c.done() and "map 0 failed 3 times" in (c.failure or "")
    assert ask(c).kind == rpc.EXIT
