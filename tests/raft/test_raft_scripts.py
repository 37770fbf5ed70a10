"""Golden scripted interactions: each tests/raft/testdata/*.txt tells the story of one bug
in its opening comments, then drives a ScriptedCluster command by command, with each
command's expected output below it (the format: scripted_cluster.py's docstring).

A script passes when running it prints exactly what the file records. On a mismatch the
failure shows a diff (expected -> actual). After a deliberate change in behaviour,
``pytest tests/raft/test_raft_scripts.py --update-golden`` rewrites the files from what the
scripts print now: then read the diff, since a golden file that records broken behaviour is
worse than none.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.raft.scripted_cluster import run_script

TESTDATA = Path(__file__).resolve().parent / "testdata"
SCRIPTS = sorted(TESTDATA.glob("*.txt"))


def test_there_are_scripts() -> None:
    assert len(SCRIPTS) >= 10, f"expected the golden scripts in {TESTDATA}"


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script(path: Path, request: pytest.FixtureRequest) -> None:
    expected = path.read_text()
    assert expected.startswith("#"), f"{path.name} must open with the story of the bug it guards against"
    actual = run_script(expected)
    if actual == expected:
        return
    if request.config.getoption("--update-golden"):
        path.write_text(actual)
        return
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"{path.name} (expected)",
            tofile=f"{path.name} (actual)",
        )
    )
    pytest.fail(f"{path.name}: the output changed (rerun with --update-golden if that is intended)\n{diff}")
