"""The harness itself: a background exception and a leaked thread each fail a test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def run_case(name: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "pytest", f"{HERE / 'cases.py'}::{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_background_thread_exception_fails_the_test():
    result = run_case("test_background_exception_fails_the_test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "background thread(s) raised" in result.stdout
    assert "crasher" in result.stdout and "boom in a background thread" in result.stdout


def test_leaked_thread_fails_the_test():
    result = run_case("test_leaked_thread_fails_the_test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "threads still running" in result.stdout and "leaky-ticker" in result.stdout


def test_clean_test_passes_also_in_shake_mode():
    result = run_case("test_clean_test_passes", {"PY6824_SHAKE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shake mode ON" in result.stdout


def test_raft_tester_checks_a_killed_rafts_late_apply():
    result = run_case("test_late_apply_out_of_order_fails_the_raft_tester_2d")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "server 0 apply out of order, expected index 1, got 2" in result.stdout
    # ...also raised by the old applier thread itself, once its channel closes
    assert "apply error: server 0 apply out of order" in result.stdout + result.stderr
