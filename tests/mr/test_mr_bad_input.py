"""Bad input: a clear message, a non-zero exit status, and no stray temp files."""

from __future__ import annotations

import time

from tests.mr.mrjob import APPS, Job

RAISES_IN_REDUCE = """
def map(filename, contents):
    return [(w, "1") for w in contents.split()[:50]]

def reduce(key, values):
    raise ValueError("bad record " + key)
"""
RAISES_IN_MAP = """
def map(filename, contents):
    raise KeyError("no map today")

def reduce(key, values):
    return str(len(values))
"""
NO_REDUCE = """
def map(filename, contents):
    return []
"""


def write_app(job: Job, name: str, text: str) -> str:
    path = job.folder / name
    path.write_text(text)
    return str(path)


def assert_no_leftovers(job: Job) -> None:
    assert job.files(".mr-tmp-*") == [], f"stray temp files: {job.files('.mr-tmp-*')}"
    assert job.files("mr-out*") == [], f"output files from a failed job: {job.files('mr-out*')}"


def test_mr_coordinator_missing_input(job: Job) -> None:
    coordinator = job.coordinator(inputs=["../pg-grimm.txt", "../no-such-book.txt"])
    assert coordinator.wait() != 0
    assert "no-such-book.txt" in coordinator.output() and "No such file" in coordinator.output()
    assert not job.socket_exists()


def test_mr_sequential_missing_input(job: Job) -> None:
    proc = job.spawn(["mr.sequential", str(APPS / "wc.py"), "../no-such-book.txt"], "sequential")
    assert proc.wait() != 0
    assert "no-such-book.txt" in proc.output()
    assert_no_leftovers(job)


def test_mr_missing_app(job: Job) -> None:
    worker = job.worker("no/such/app.py")
    assert worker.wait() != 0
    assert "no/such/app.py" in worker.output() and "does not exist" in worker.output()
    seq = job.spawn(["mr.sequential", "no/such/app.py", *job.inputs], "sequential")
    assert seq.wait() != 0
    assert "does not exist" in seq.output()
    assert_no_leftovers(job)


def test_mr_app_without_reduce(job: Job) -> None:
    app = write_app(job, "noreduce.py", NO_REDUCE)
    worker = job.worker(app)
    assert worker.wait() != 0
    assert "no reduce() function" in worker.output()
    seq = job.spawn(["mr.sequential", app, *job.inputs], "sequential")
    assert seq.wait() != 0
    assert "no reduce() function" in seq.output()
    assert_no_leftovers(job)


def test_mr_app_with_syntax_error(job: Job) -> None:
    app = write_app(job, "broken.py", "def map(:\n")
    worker = job.worker(app)
    assert worker.wait() != 0
    assert "failed to load: SyntaxError" in worker.output()


def test_mr_app_raises_in_sequential(job: Job) -> None:
    for name, text, message in (
        ("mapfail.py", RAISES_IN_MAP, "KeyError"),
        ("reducefail.py", RAISES_IN_REDUCE, "ValueError: bad record"),
    ):
        seq = job.spawn(["mr.sequential", write_app(job, name, text), *job.inputs], "sequential")
        assert seq.wait() != 0
        assert f"the app raised: {message}" in seq.output(), seq.output()
        assert_no_leftovers(job)


def test_mr_app_raises_in_reduce(job: Job) -> None:
    """Each worker reports the error and exits 1; after 3 failures of one task the job fails."""
    app = write_app(job, "reducefail.py", RAISES_IN_REDUCE)
    coordinator = job.coordinator()
    time.sleep(1)  # as test-mr.sh: give the coordinator time to create its socket
    for _ in range(3):
        worker = job.worker(app)
        assert worker.wait() == 1, job.describe()
        assert "the app raised" in worker.output() and "ValueError: bad record" in worker.output(), job.describe()
    assert coordinator.wait() == 1, job.describe()
    assert "job failed: reduce 0 failed 3 times" in coordinator.output(), job.describe()
    assert not job.socket_exists()
    assert_no_leftovers(job)


def test_mr_worker_without_coordinator(job: Job) -> None:
    worker = job.worker("wc.py")
    assert worker.wait() == 1
    assert "cannot reach the coordinator" in worker.output() and "(waited 5 s)" in worker.output()
