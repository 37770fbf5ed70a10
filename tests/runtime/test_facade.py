"""The runtime facade rule: labrpc, raft, kvraft and their test harnesses take threads,
locks, time and randomness only from ``runtime``, so a simulator can stand behind it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runtime

ROOT = Path(__file__).resolve().parents[2]
GOVERNED = ["labrpc", "raft", "kvraft", "tests/labrpc", "tests/raft", "tests/kvraft"]
FORBIDDEN = {"threading", "queue", "time", "random", "_thread", "concurrent"}
# The bridge to the interpreter itself: installing threading.excepthook has no facade analog.
ALLOWED = {"tests/harness.py", "tests/conftest.py"}


def governed_files() -> list[Path]:
    files = [p for d in GOVERNED for p in sorted((ROOT / d).rglob("*.py"))]
    return [p for p in files if str(p.relative_to(ROOT)) not in ALLOWED]


def forbidden_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    return found


def test_governed_packages_exist():
    assert len(governed_files()) > 10


@pytest.mark.parametrize("path", governed_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_direct_threading_time_or_random(path: Path):
    bad = forbidden_imports(path)
    assert not bad, f"{path.relative_to(ROOT)} bypasses the runtime facade: {', '.join(bad)}"


def test_real_mode_hands_out_the_standard_objects():
    import threading
    import time

    assert runtime.Lock is threading.Lock and runtime.Condition is threading.Condition
    assert runtime.sleep is time.sleep and runtime.now is time.monotonic
