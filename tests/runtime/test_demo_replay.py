"""``python -m kvraft --seed N``: the demo in simulation, the same run for the same seed.

The demo drives a simulator itself, so this runs the same with or without --sim.
"""

from __future__ import annotations

import tempfile

import pytest

from kvraft.__main__ import main

DEMO = ["--seconds", "3", "--peers", "3", "--clients", "3"]


def run_demo(seed: int, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The demo's output lines, but the HTML file's path (a fresh temporary name each run)."""
    assert main([*DEMO, "--seed", str(seed)]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if not line.startswith("visualization:")]


def test_the_same_seed_gives_the_same_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the HTML pages go there
    first, again, other = run_demo(11, capsys), run_demo(11, capsys), run_demo(12, capsys)
    assert first == again
    assert first != other
    assert any(line.startswith("linearizability: Ok") for line in first), first
    assert len(list(tmp_path.glob("kvraft-*.html"))) == 3


def test_one_peer_elects_itself_and_serves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """A cluster of one is its own majority; its chaos is crashes and unreliable spells (no
    partitions: there is nobody to cut it off from)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["--seconds", "10", "--peers", "1", "--clients", "2", "--seed", "4"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    operations = next(line for line in out.splitlines() if line.startswith("operations: "))
    assert int(operations.split()[1]) > 0, out
    assert "linearizability: Ok" in out and "0 partitions" in out
