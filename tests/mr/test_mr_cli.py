"""The mr programs' command lines: bad options refused at once, --help, quiet Ctrl-C, and a
worker that waits for a coordinator started after it.

Bad input files and apps (missing, broken, raising) are in test_mr_bad_input.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_check import QUICK_S, assert_help, assert_interrupted_quietly, assert_refused, program_env, run, start
from tests.mr.mrjob import APPS, Job

WC = str(APPS / "wc.py")
TOO_LONG_SOCKET = "/tmp/" + "s" * 200
# A map that says it has started (so a test knows the worker is inside the app), then hangs.
HANGS_IN_MAP = """
import time

def map(filename, contents):
    open("in-map", "w").close()
    time.sleep(600)
    return []

def reduce(key, values):
    return str(len(values))
"""

BAD_OPTIONS = [
    (["mr.coordinator"], ["required: INPUT"]),
    (["mr.coordinator", "--nreduce", "0", "in.txt"], ["--nreduce", "a positive integer", "0"]),
    (["mr.coordinator", "--nreduce", "-3", "in.txt"], ["--nreduce", "a positive integer", "-3"]),
    (["mr.coordinator", "--nreduce", "ten", "in.txt"], ["--nreduce", "a positive integer", "ten"]),
    (["mr.coordinator", "--backups", "in.txt"], ["unrecognized arguments: --backups"]),
    (["mr.worker"], ["required: APP.py"]),
    (["mr.worker", WC, "in.txt"], ["unrecognized arguments: in.txt"]),
    (["mr.sequential", WC], ["required: INPUT"]),
    (["mr.sequential", "--output", "no-such-folder/out", WC, "in.txt"], ["no-such-folder/out", "no folder"]),
    (["mr.sequential", "--output", ".", WC, "in.txt"], ["cannot write output '.'", "it is a folder"]),
    (["mr.inputs"], ["required: folder"]),
    (["mr.inputs", "out", "--mb", "0"], ["--mb", "above 0"]),
    (["mr.inputs", "out", "--mb", "-1"], ["--mb", "above 0"]),
    (["mr.inputs", "out", "--mb", "nan"], ["--mb", "finite"]),
    (["mr.inputs", "out", "--mb", "1", "--files", "0"], ["--files", "a positive integer"]),
    (["mr.inputs", "out", "--seed", "x"], ["--seed", "invalid int value", "x"]),
    (["mr.inputs", "in.txt"], ["cannot write to 'in.txt'", "not a folder"]),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one small input, in.txt, and nothing else."""
    (tmp_path / "in.txt").write_text("the quick brown fox jumps over the lazy dog\n")
    return tmp_path


def entries(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.mark.parametrize(
    "argv, fragments", BAD_OPTIONS, ids=[" ".join(argv).replace(WC, "wc.py") for argv, _ in BAD_OPTIONS]
)
def test_mr_refuses_bad_option(folder: Path, argv: list[str], fragments: list[str]) -> None:
    done = run(argv, folder)
    assert_refused(done, *fragments)
    assert entries(folder) == ["in.txt"], "a refused command wrote files"


@pytest.mark.parametrize("program", ["mr.coordinator", "mr.worker"])
def test_mr_socket_path_too_long(folder: Path, program: str) -> None:
    argv = [program, "in.txt"] if program == "mr.coordinator" else [program, WC]
    done = run(argv, folder, env=program_env(MR_SOCKET=TOO_LONG_SOCKET))
    assert done.returncode == 1
    assert_refused(done, "longer than 107 bytes", "MR_SOCKET")


@pytest.mark.parametrize("program", ["mr.coordinator", "mr.worker", "mr.sequential", "mr.inputs"])
def test_mr_help(folder: Path, program: str) -> None:
    assert_help(run([program, "--help"], folder), f"python -m {program}")
    assert entries(folder) == ["in.txt"]


# ---- Ctrl-C ----


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + QUICK_S
    while not condition():
        assert proc.poll() is None, f"exited {proc.returncode} before {what}: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"no sign of {what} after {QUICK_S:.0f} s"
        time.sleep(0.05)


@pytest.fixture
def reap() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes to kill if a test fails before they exit."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


def test_mr_ctrl_c_worker_and_coordinator(job: Job, reap: list[subprocess.Popen[str]]) -> None:
    """A worker interrupted inside the app leaves no temp file; the coordinator removes its socket."""
    app = job.folder / "hangs.py"
    app.write_text(HANGS_IN_MAP)
    coordinator = start(["mr.coordinator", *job.inputs], job.folder, job.env)
    reap.append(coordinator)
    wait_for(job.socket_exists, "the coordinator's socket", coordinator)
    worker = start(["mr.worker", str(app)], job.folder, job.env)
    reap.append(worker)
    wait_for((job.folder / "in-map").exists, "the worker's map task", worker)
    assert_interrupted_quietly(worker, "mr.worker")
    assert_interrupted_quietly(coordinator, "mr.coordinator")
    assert not job.socket_exists()
    assert job.files(".mr-tmp-*") == [] and job.files("mr-*") == []


def test_mr_ctrl_c_waiting_worker(job: Job, reap: list[subprocess.Popen[str]]) -> None:
    """Interrupted while it retries a coordinator that hangs up on it (before its first reply)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(job.socket_path)
        listener.listen()
        listener.settimeout(QUICK_S)
        worker = start(["mr.worker", WC], job.folder, job.env)
        reap.append(worker)
        conn, _ = listener.accept()  # the worker is in its request loop now
        conn.close()  # no reply: the worker retries, as for a coordinator still starting
        assert_interrupted_quietly(worker, "mr.worker")


def test_mr_ctrl_c_sequential(job: Job, reap: list[subprocess.Popen[str]]) -> None:
    app = job.folder / "hangs.py"
    app.write_text(HANGS_IN_MAP)
    seq = start(["mr.sequential", str(app), *job.inputs], job.folder, job.env)
    reap.append(seq)
    wait_for((job.folder / "in-map").exists, "the sequential map", seq)
    assert_interrupted_quietly(seq, "mr.sequential")
    assert job.files(".mr-tmp-*") == [] and job.files("mr-*") == []


def test_mr_ctrl_c_inputs(tmp_path: Path, reap: list[subprocess.Popen[str]]) -> None:
    out = tmp_path / "corpus"
    gen = start(["mr.inputs", str(out), "--mb", "200", "--files", "1"], tmp_path)  # about 100 s of work
    reap.append(gen)
    wait_for(out.exists, "the output folder", gen)
    assert_interrupted_quietly(gen, "mr.inputs")
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


# ---- a worker started before its coordinator ----


def test_mr_worker_waits_for_the_coordinator(job: Job) -> None:
    """README: the coordinator and its workers start together; a worker first waits for the socket."""
    inputs = job.inputs[:2]
    correct = job.sequential("wc.py", inputs)
    worker = job.worker("wc.py")
    time.sleep(1)  # the worker is up and finds no socket (test-mr.sh would sleep 1 s the other way round)
    assert not job.socket_exists() and not worker.finished, job.describe()
    coordinator = job.coordinator(inputs=inputs)
    assert worker.wait() == 0, job.describe()
    assert coordinator.wait() == 0, job.describe()
    assert job.sorted_output() == correct
