"""Wires tests/harness.py around every test (see its docstring)."""

from __future__ import annotations

import os
import threading

import pytest
from hypothesis import settings

import runtime
from tests import harness

pytest_plugins = ["tests.sim_plugin"]

_failures = harness.BackgroundFailures()

# Hypothesis: a quick profile for every run (CI's), a long one by hand. No deadline: the
# machines have 2 loaded cores, and a slow example is not a wrong one. No example database,
# so runs leave nothing in the checkout.
settings.register_profile("ci", max_examples=200, deadline=None, database=None)
settings.register_profile("long", max_examples=5000, deadline=None, database=None)
settings.load_profile(os.environ.get("PY6824_HYPOTHESIS", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected output in tests/raft/testdata/*.txt from what the scripts print now",
    )


def pytest_configure(config: pytest.Config) -> None:
    threading.excepthook = _failures.excepthook
    if harness.shake_requested():
        harness.enable_shake()


def pytest_report_header(config: pytest.Config) -> str:
    return "py6824 harness: shake mode ON" if harness.shake_requested() else "py6824 harness: shake mode off"


def _raise_background_failures() -> None:
    failures = _failures.take()
    if failures:
        pytest.fail(harness.describe_failures(failures), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    try:
        result = yield
    except BaseException:
        # The test's own failure comes first; the threads' tracebacks are in its stderr.
        _failures.take()
        raise
    _raise_background_failures()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    _failures.take()  # what an earlier test left behind was reported (or leaked) there
    item.stash[_threads_before] = set(runtime.live_threads())
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    result = yield
    leaked = harness.wait_for_leaked_threads(item.stash.get(_threads_before, set()))
    _raise_background_failures()
    if leaked:
        pytest.fail(
            f"threads still running {harness.LEAK_GRACE_S:.0f} s after the test's cleanup: {', '.join(leaked)}",
            pytrace=False,
        )
    return result


_threads_before = pytest.StashKey[set]()
