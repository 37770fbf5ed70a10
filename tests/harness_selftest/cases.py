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
