"""test-mr.sh's machinery in Python: real coordinator and worker processes in a fresh folder.

    job.sequential("wc.py")          run mrsequential; return `sort mr-out-0` and remove mr-out*
    job.coordinator()                start `python -m mr.coordinator ../pg-*.txt` in the background
    job.worker("wc.py")              start a worker in the background ...
    job.run_worker("wc.py")          ... or in the foreground (returns its exit status)
    job.sorted_output()              `sort mr-out* | grep .`
    job.wait_any(procs), job.wait_all()

Every process runs under the course's `timeout -k 2s 180s` (Proc), with MR_SOCKET set to a
socket of this test's own, so tests never share the course's one per-user socket.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "mr" / "apps"
PROC_TIMEOUT_S = 180.0  # test-mr.sh: TIMEOUT="timeout -k 2s 180s", per process
KILL_AFTER_S = 2.0
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes; keep a margin


class Proc:
    """One child process; a watcher thread enforces the 180 s limit and records the exit status."""

    def __init__(self, job: Job, args: list[str], name: str) -> None:
        self.job = job
        self.name = name
        self.log_path = job.folder / f"log-{name}.txt"  # not mr-*: the course's globs must not see it
        self.timed_out = False
        self.returncode: int | None = None  # guarded by job.cond; set once the process has exited
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", *args], cwd=job.folder, env=job.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._watcher = threading.Thread(target=self._watch, name=f"mr-test-{name}", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        try:
            rc = self.popen.wait(PROC_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.popen.terminate()
            try:
                rc = self.popen.wait(KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                rc = self.popen.wait()
        with self.job.cond:
            self.returncode = rc
            self.job.cond.notify_all()

    @property
    def finished(self) -> bool:
        with self.job.cond:
            return self.returncode is not None

    def wait(self) -> int:
        self._watcher.join()
        assert self.returncode is not None
        return self.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class Job:
    """A fresh folder beside the inputs (which are passed as ../pg-*.txt, as test-mr.sh does)."""

    def __init__(self, folder: Path, inputs: list[str], socket_path: str) -> None:
        self.folder = folder
        self.inputs = inputs
        self.socket_path = socket_path
        self.env = dict(
            os.environ,
            MR_SOCKET=socket_path,
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        )
        self.cond = threading.Condition()  # notified whenever one of procs exits
        self.procs: list[Proc] = []
        self._names = 0

    def spawn(self, args: list[str], kind: str) -> Proc:
        self._names += 1
        proc = Proc(self, args, f"{self._names:02d}-{kind}")
        self.procs.append(proc)
        return proc

    def coordinator(self, *opts: str, inputs: list[str] | None = None) -> Proc:
        return self.spawn(["mr.coordinator", *opts, *(self.inputs if inputs is None else inputs)], "coordinator")

    def worker(self, app: str) -> Proc:
        return self.spawn(["mr.worker", app_path(app)], "worker")

    def run_worker(self, app: str) -> int:
        return self.worker(app).wait()

    def sequential(self, app: str, inputs: list[str] | None = None) -> list[str]:
        """The reference: mrsequential, then `sort mr-out-0`; clears mr-out* for the real run."""
        proc = self.spawn(["mr.sequential", app_path(app), *(self.inputs if inputs is None else inputs)], "sequential")
        assert proc.wait() == 0, f"mrsequential failed:\n{proc.output()}"
        lines = self.sorted_output()
        self.remove("mr-out*")
        return lines

    def output_lines(self) -> list[str]:
        """`cat mr-out*`, line by line."""
        lines: list[str] = []
        for path in sorted(glob.glob(str(self.folder / "mr-out*"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines.extend(f.read().splitlines())
        return lines

    def sorted_output(self) -> list[str]:
        """`sort mr-out* | grep .`: sorted, blank lines dropped, so the split across files does not matter."""
        return sorted(line for line in self.output_lines() if line)

    def files(self, pattern: str) -> list[str]:
        """Names in the folder matching pattern, hidden ones included (e.g. ".mr-tmp-*")."""
        return sorted(n for n in os.listdir(self.folder) if fnmatch.fnmatch(n, pattern))

    def remove(self, pattern: str) -> None:
        for path in glob.glob(str(self.folder / pattern)):
            os.remove(path)

    def socket_exists(self) -> bool:
        return os.path.exists(self.socket_path)

    def wait_any(self, procs: list[Proc]) -> Proc:
        """Bash's `wait -n`: block until one of procs has exited; return it."""
        with self.cond:
            while True:
                for p in procs:
                    if p.returncode is not None:
                        return p
                self.cond.wait(PROC_TIMEOUT_S + KILL_AFTER_S + 5)

    def wait_all(self) -> None:
        for p in list(self.procs):
            p.wait()

    def stop(self) -> None:
        """Cleanup after a failed test: kill whatever still runs, then reap it."""
        for p in self.procs:
            if p.popen.poll() is None:
                p.popen.kill()
        self.wait_all()

    def describe(self) -> str:
        """Every process's exit status and the tail of its log, for failure messages."""
        parts = []
        for p in self.procs:
            tail = "\n    ".join(p.output().splitlines()[-12:])
            status = "timed out" if p.timed_out else f"exit {p.returncode}"
            parts.append(f"  {p.name} ({status}):\n    {tail}")
        return "\n".join(parts)


def app_path(app: str) -> str:
    """An app under mr/apps/ by file name, or any other path as given."""
    path = APPS / app
    return str(path) if path.exists() else app
