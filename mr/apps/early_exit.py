"""Early exit probe (course: mrapps/early_exit.go): slow reduces, so an early exit shows."""

from __future__ import annotations

import time


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    return [(filename, "1")]


def reduce(key: str, values: list[str]) -> str:
    if "sherlock" in key or "tom" in key:
        time.sleep(3)
    return str(len(values))
