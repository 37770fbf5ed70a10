"""The intermediate file format: what map task X writes to mr-X-Y for reduce task Y.

The handout leaves the format to us (JSON is its suggestion). A file is one header line,
then one flat JSON array of runs, three items each: key, value, times (the key has `times`
copies of value):

    mr-intermediate 1 <payload bytes> <crc32 of the payload, 8 hex digits>
    ["apple","1",3,"pear","a",1,"pear","b",1]

A key whose values are all equal (word count's "1"s, most keys of every app) is one run,
whatever its count: one map task of the word-count benchmark emits about 430,000 values
but only about 36,000 distinct keys, so the JSON, and the time to encode and decode it,
shrinks to a fraction. Flat, because a JSON array per run or per key costs a Python list
per run to decode and twice the time to encode.

The header lets a reducer tell a truncated or corrupted file (a crashed or buggy writer, a
full disk) from a good one before decoding it: read() raises IntermediateError naming the
file, never returns a silently wrong answer.
"""

from __future__ import annotations

import collections
import itertools
import json
import operator
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

MAGIC = "mr-intermediate"
VERSION = 1

Runs = list[Any]  # flat: key, value, times, key, value, times, ...
Merged = dict[str, list[Any]]  # key -> flat: value, times, value, times, ...

# Runs hold no cycles, so the encoder's check for them (a dict insert and delete per list)
# is switched off.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_KEY = operator.itemgetter(0)
_VALUE = operator.itemgetter(1)


class IntermediateError(Exception):
    """An intermediate file is truncated, corrupted, or not one of ours."""


def group_runs(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, int]]:
    """A map task's pairs as runs (key, value, times), keys in first-seen order: one run per key
    whose values are all equal, else one run per value.

    When every pair has the same value (word count's "1", the indexer's document name), the
    keys are counted in C (collections.Counter) instead of a Python loop that builds a list
    per key; anything else, a malformed pair included, takes that loop.
    """
    pairs = pairs if isinstance(pairs, list) else list(pairs)
    shared = _shared_value(pairs)
    if shared is None:
        return _grouped_runs(pairs)
    counts = collections.Counter(map(_KEY, pairs))
    return zip(counts, itertools.repeat(shared[0]), counts.values())


def _shared_value(pairs: list[tuple[str, str]]) -> tuple[str] | None:
    """(value,) if every pair is a (key, value) and all have that value; else None."""
    try:
        if pairs and set(map(len, pairs)) == {2}:
            values = set(map(_VALUE, pairs))
            if len(values) == 1:
                return (values.pop(),)
    except TypeError:  # a pair with no length, or an unhashable value: the loop is the judge
        pass
    return None


def _grouped_runs(pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str, int]]:
    groups: dict[str, list[str]] = {}
    for key, value in pairs:
        values = groups.get(key)
        if values is None:
            groups[key] = [value]
        else:
            values.append(value)
    for key, values in groups.items():
        first = values[0]
        if values.count(first) == len(values):  # list.count: a C loop
            yield key, first, len(values)
        else:
            for value in values:
                yield key, value, 1


def iter_runs(runs: Runs) -> Iterator[tuple[str, str, int]]:
    """(key, value, times) for each run."""
    items = iter(runs)
    return zip(items, items, items, strict=True)  # decode checked that the items come in threes


def merge_runs(merged: Merged, runs: Runs) -> None:
    """Add one file's runs to merged (key -> its runs, flat), keeping each key's values in order.

    A run whose value equals the key's last run's value only adds its count: word count's
    reducer gets each key's values from one list repetition (values_of) instead of one list
    built and appended per file, which was most of a reduce task's time.
    """
    for key, value, times in iter_runs(runs):
        key_runs = merged.get(key)
        if key_runs is None:
            merged[key] = [value, times]
        elif key_runs[-2] == value:
            key_runs[-1] += times
        else:
            key_runs += (value, times)


def values_of(key_runs: list[Any]) -> list[str]:
    """The values that one key's merged runs stand for, in order."""
    if len(key_runs) == 2:
        return [key_runs[0]] * key_runs[1]
    values: list[str] = []
    for i in range(0, len(key_runs), 2):
        values += [key_runs[i]] * key_runs[i + 1]
    return values


def encode(runs: Runs) -> bytes:
    """One intermediate file's bytes: the header line, then the runs as compact JSON."""
    payload = _ENCODER.encode(runs).encode("utf-8")
    header = f"{MAGIC} {VERSION} {len(payload)} {zlib.crc32(payload):08x}\n"
    return header.encode("ascii") + payload


def decode(data: bytes, name: str) -> Runs:
    """The runs in one intermediate file's bytes; IntermediateError (naming name) if they are damaged."""
    header, newline, payload = data.partition(b"\n")
    fields = header.split()
    if not newline or len(fields) != 4 or fields[0] != MAGIC.encode() or fields[1] != str(VERSION).encode():
        raise IntermediateError(f"intermediate file {name!r} has no valid header (not written by this worker?)")
    try:
        size, crc = int(fields[2]), int(fields[3], 16)
    except ValueError:
        raise IntermediateError(f"intermediate file {name!r} has a malformed header: {header[:80]!r}") from None
    if len(payload) != size:
        raise IntermediateError(
            f"intermediate file {name!r} is truncated or damaged: {len(payload)} bytes of runs, its header says {size}"
        )
    if zlib.crc32(payload) != crc:
        raise IntermediateError(f"intermediate file {name!r} is corrupted: its checksum does not match")
    try:
        runs: Any = json.loads(payload)
    except ValueError as e:  # a writer bug: the checksum matched what it wrote
        raise IntermediateError(f"intermediate file {name!r} holds invalid JSON: {e}") from None
    if not isinstance(runs, list) or len(runs) % 3 != 0:
        raise IntermediateError(f"intermediate file {name!r} holds no list of (key, value, times) runs")
    return runs


def read(path: str) -> Runs:
    """The runs in the intermediate file at path; IntermediateError if it is damaged."""
    with open(path, "rb") as f:
        return decode(f.read(), os.path.basename(path))
