"""The raft tester itself (config.py), driven with a ScriptedRaft: what a killed Raft still
applies reaches the course's checks, as with config.go's applier goroutine that outlives
crash1. The failing side (a late apply out of order in 2D) is in tests/harness_selftest."""

from __future__ import annotations

import pytest

import raft
from tests.raft.config import make_config
from tests.raft.scripted_raft import ScriptedRaft, command


def test_a_killed_rafts_late_apply_is_checked_and_recorded(monkeypatch: pytest.MonkeyPatch):
    made: list[ScriptedRaft] = []
    monkeypatch.setattr(raft, "make", ScriptedRaft.factory(made))
    cfg = make_config(1, False, False)
    try:
        old = made[0]
        old.deliver(command(1, 101))
        assert cfg.wait(1, 1, -1) == 101
        cfg.start1(0, cfg.applier)  # kills old; the new instance gets a new channel and applier
        assert old.killed() and len(made) == 2
        # old was in the middle of a batch: its apply thread sends on after kill(). In 2A-2C
        # start1 keeps logs[0], so index 2 follows index 1 and the old applier accepts it.
        old.deliver(command(2, 102))
        assert cfg.wait(2, 1, -1) == 102
    finally:
        for rf in made:
            rf.finish()  # the Rafts' threads exit: only then may the tester close their channels
        cfg.cleanup()
