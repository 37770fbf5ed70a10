"""The course's src/main/test-mr.sh, step by step: real coordinator and worker processes.

Each step keeps the script's parameters: worker counts, which workers run in the foreground,
the 1 s pause after starting the coordinator, 180 s per process, and its checks, which compare
`sort mr-out* | grep .` with the sequential reference or count lines of the apps' output.
"""

from __future__ import annotations

import os
import re
import threading
import time

from tests.mr.mrjob import Job

COORDINATOR_STARTUP_S = 1  # test-mr.sh: "give the coordinator time to create the sockets"


def start(job: Job, name: str):
    print(f"*** Starting {name} test.")
    coordinator = job.coordinator()
    time.sleep(COORDINATOR_STARTUP_S)
    return coordinator


def passed(name: str) -> None:
    print(f"--- {name} test: PASS")


def assert_same_output(job: Job, got: list[str], want: list[str], what: str) -> None:
    if got == want:
        return
    diff = next((i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w), min(len(got), len(want)))
    first = f"line {diff}: got {got[diff : diff + 1]}, want {want[diff : diff + 1]}"
    raise AssertionError(f"{what}: {len(got)} lines, want {len(want)}; first difference at {first}\n{job.describe()}")


def test_mr_wc(job: Job) -> None:
    correct = job.sequential("wc.py")
    coordinator = start(job, "wc")
    for _ in range(3):
        job.worker("wc.py")
    coordinator.wait()
    # Workers must exit only once the job is finished, so the coordinator's exit means it is.
    assert_same_output(job, job.sorted_output(), correct, "wc output is not the same as mr-correct-wc.txt")
    job.wait_all()
    assert coordinator.returncode == 0, job.describe()
    passed("wc")


def test_mr_indexer(job: Job) -> None:
    correct = job.sequential("indexer.py")
    start(job, "indexer")
    job.worker("indexer.py")
    job.run_worker("indexer.py")
    assert_same_output(job, job.sorted_output(), correct, "indexer output is not the same as mr-correct-indexer.txt")
    job.wait_all()
    passed("indexer")


def test_mr_map_parallelism(job: Job) -> None:
    start(job, "map parallelism")
    job.worker("mtiming.py")
    job.run_worker("mtiming.py")
    lines = job.output_lines()
    nt = sum(1 for line in lines if line.startswith("times-"))
    assert nt == 2, f"saw {nt} workers rather than 2\n{job.describe()}"
    assert any(re.match(r"parallel.* 2", line) for line in lines), (
        f"map workers did not run in parallel: {lines}\n{job.describe()}"
    )
    job.wait_all()
    passed("map parallelism")


def test_mr_reduce_parallelism(job: Job) -> None:
    start(job, "reduce parallelism")
    job.worker("rtiming.py")
    job.run_worker("rtiming.py")
    nt = sum(1 for line in job.output_lines() if re.match(r"[a-z] 2", line))
    assert nt >= 2, f"too few parallel reduces: {job.output_lines()}\n{job.describe()}"
    job.wait_all()
    passed("reduce parallelism")


def test_mr_job_count(job: Job) -> None:
    start(job, "job count")
    job.worker("jobcount.py")
    job.run_worker("jobcount.py")
    job.worker("jobcount.py")
    job.run_worker("jobcount.py")
    # `cat mr-out* | awk '{print $2}'` must be exactly 8: one map run per input, none re-issued.
    nt = [line.split()[1] for line in job.output_lines() if len(line.split()) > 1]
    assert nt == ["8"], f"map jobs ran incorrect number of times ({nt} != 8)\n{job.describe()}"
    job.wait_all()
    passed("job count")


def test_mr_early_exit(job: Job) -> None:
    """Does any worker or the coordinator exit before all output files are final?"""
    coordinator = start(job, "early exit")
    workers = [job.worker("early_exit.py") for _ in range(3)]
    job.wait_any([coordinator, *workers])  # bash: wait -n
    initial = job.sorted_output()
    job.wait_all()
    final = job.sorted_output()
    assert final == initial, f"output changed after first worker exited:\n{initial}\nthen\n{final}\n{job.describe()}"
    assert len(final) == len(job.inputs), f"want one line per input, got {final}\n{job.describe()}"
    passed("early exit")


def test_mr_crash(job: Job) -> None:
    correct = job.sequential("nocrash.py")
    coordinator = start(job, "crash")
    job.worker("crash.py")

    def keep_a_worker_running() -> None:
        # test-mr.sh: while [ -e $SOCKNAME -a ! -f mr-done ]; do mrworker crash.so; sleep 1; done
        # (mr-done is touched when the coordinator exits; here we ask the process directly).
        while job.socket_exists() and not coordinator.finished:
            job.run_worker("crash.py")
            time.sleep(1)

    loops = [threading.Thread(target=keep_a_worker_running, name=f"mr-test-crash-loop-{i}") for i in range(2)]
    for loop in loops:
        loop.start()
    keep_a_worker_running()
    for loop in loops:
        loop.join()
    job.wait_all()
    if job.socket_exists():
        os.remove(job.socket_path)  # rm $SOCKNAME
    assert_same_output(job, job.sorted_output(), correct, "crash output is not the same as mr-correct-crash.txt")
    passed("crash")
