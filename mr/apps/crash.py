"""Crash app (course: mrapps/crash.go): the worker process dies or stalls at random.

A third of map/reduce calls exit the process on the spot (no cleanup, like os.Exit(1)); another
third sleep up to 10 s. The coordinator must reassign and still produce nocrash's output.
"""

from __future__ import annotations

import os
import secrets
import time

from mr.apps import nocrash


def maybe_crash() -> None:
    r = secrets.randbelow(1000)  # crash.go: crypto/rand, so a fork cannot repeat the sequence
    if r < 330:
        os._exit(1)
    elif r < 660:
        time.sleep(secrets.randbelow(10_000) / 1000)


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    maybe_crash()
    return nocrash.map(filename, contents)


def reduce(key: str, values: list[str]) -> str:
    maybe_crash()
    return nocrash.reduce(key, values)
