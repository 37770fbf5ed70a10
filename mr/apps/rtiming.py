"""Reduce parallelism probe (course: mrapps/rtiming.go): do two workers run reduces at once?"""

from __future__ import annotations

from mr.apps.nparallel import nparallel


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    return [(k, "1") for k in "abcdefghij"]


def reduce(key: str, values: list[str]) -> str:
    return str(nparallel("reduce"))
