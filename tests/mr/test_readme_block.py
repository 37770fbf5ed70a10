"""The README's MapReduce block works as written: pasted into bash at the checkout's root.

The block is read from README.md's "## MapReduce" section (its first ```bash block) and run
unchanged with bash from the checkout's root, as a user pastes it. The environment is the
user's but for three things: PYTHONPATH names this checkout (what `pip install -e .` gives
the user; it also keeps another installed copy from being the one tested), TMPDIR puts the
block's `mktemp -d` scratch folder in this test's folder, and MR_SOCKET is this test's own,
so it can run beside other jobs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.cli_check import REPO, program_env

BLOCK_LIMIT_S = 120.0  # about 12 s on an idle 2-core machine: inputs, reference, a 2-worker job
SAME = "the job's output is the reference's"  # the block's last line echoes this when diff agrees


def readme_block() -> str:
    """The first ```bash block of README.md's "## MapReduce" section, exactly as written."""
    readme = (REPO / "README.md").read_text()
    section = re.search(r"^## MapReduce\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert section, "README.md has no '## MapReduce' section"
    block = re.search(r"^```bash\n(.*?)^```$", section.group(1), re.S | re.M)
    assert block, "README.md's MapReduce section has no ```bash block"
    return block.group(1)


def run_block(block: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """bash -c block at the checkout's root; on a hang, kill the block's whole process group."""
    proc = subprocess.Popen(
        ["bash", "-c", block],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=BLOCK_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"the block did not finish within {BLOCK_LIMIT_S:.0f} s:\n{out}\n{err}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def lines_of(paths: list[Path]) -> list[str]:
    return sorted(line for p in paths for line in p.read_text().splitlines())


def test_readme_mapreduce_block(tmp_path: Path) -> None:
    socket_dir = tempfile.mkdtemp(prefix="mr-readme-")  # short: AF_UNIX paths hold 107 bytes
    socket_path = os.path.join(socket_dir, "s")
    checkout_before = sorted(os.listdir(REPO))
    try:
        done = run_block(readme_block(), program_env(TMPDIR=str(tmp_path), MR_SOCKET=socket_path))
        assert not os.path.exists(socket_path), "the coordinator left its socket behind"
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
    report = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert done.stdout.rstrip().endswith(SAME), report
    assert "Traceback" not in done.stderr and "cannot reach the coordinator" not in done.stderr, report

    scratch = Path(done.stdout.splitlines()[0])  # the block's `pwd`
    assert scratch.parent == tmp_path, report
    outputs = sorted(scratch.glob("mr-out-*"))
    assert [p.name for p in outputs] == [f"mr-out-{y}" for y in range(10)]
    reference = lines_of([scratch / "reference"])
    assert len(reference) > 1000, "the reference is (nearly) empty"
    assert lines_of(outputs) == reference  # what the block's diff said, checked independently
    assert sorted(os.listdir(REPO)) == checkout_before, "the block wrote into the checkout"
