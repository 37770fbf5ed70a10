"""Inverted index (course: mrapps/indexer.go): which documents contain each word."""

from __future__ import annotations

from mr.apps.wc import words


def map(document: str, value: str) -> list[tuple[str, str]]:
    # Once per distinct word in the document (indexer.go keeps a set).
    return [(w, document) for w in dict.fromkeys(words(value))]


def reduce(key: str, values: list[str]) -> str:
    values = sorted(values)
    return f"{len(values)} {','.join(values)}"
