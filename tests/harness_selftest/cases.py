"""Tests that the harness must fail. Not collected by default (the file name does not start
with test_); test_harness.py runs each in a subprocess and checks that it fails, and why."""

import runtime


def test_background_exception_fails_the_test():
    def crash() -> None:
        raise RuntimeError("boom in a background thread")

    runtime.go(crash, name="crasher").join()


def test_leaked_thread_fails_the_test():
    stop = runtime.Event()
    runtime.go(stop.wait, 30, name="leaky-ticker")


def test_clean_test_passes():
    done = runtime.Event()
    runtime.go(done.set, name="tidy").join()
    assert done.is_set()


def test_late_apply_out_of_order_fails_the_raft_tester_2d(monkeypatch):
    # config.go's applierSnap goroutine outlives crash1 and checks against lastApplied[i],
    # which start1 resets: a killed Raft's late apply then fails "apply out of order".
    import raft
    from tests.raft.config import make_config
    from tests.raft.scripted_raft import ScriptedRaft, command

    made = []
    monkeypatch.setattr(raft, "make", ScriptedRaft.factory(made))
    cfg = make_config(1, False, True)
    try:
        old = made[0]
        old.deliver(command(1, 101))
        cfg.wait(1, 1, -1)
        cfg.start1(0, cfg.applier_snap)  # no snapshot saved: last_applied[0] is back to 0
        old.deliver(command(2, 102))
        cfg.wait(2, 1, -1)
    finally:
        for rf in made:
            rf.finish()
        cfg.cleanup()
