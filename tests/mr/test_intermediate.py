"""The intermediate file format (mr/intermediate.py): runs round-trip, damage is a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mr import intermediate, rpc
from mr.apps import wc
from mr.intermediate import IntermediateError
from mr.worker import TaskFailed, Worker

GROUPS = {"apple": ["1", "1", "1"], "pear": ["a", "b", "a"], "fig": ["only"], "naïve ☃": ["x\ny", "x\ny"]}


def runs_of(groups: dict[str, list[str]]) -> intermediate.Runs:
    pairs = [(key, value) for key, values in groups.items() for value in values]
    return [item for run in intermediate.group_runs(pairs) for item in run]


def expand(runs: intermediate.Runs) -> dict[str, list[str]]:
    merged: intermediate.Merged = {}
    intermediate.merge_runs(merged, runs)
    return {key: intermediate.values_of(key_runs) for key, key_runs in merged.items()}


RUNS = runs_of(GROUPS)


def test_equal_values_are_one_run() -> None:
    assert runs_of({"apple": ["1", "1", "1"]}) == ["apple", "1", 3]
    assert runs_of({"pear": ["a", "b", "a"]}) == ["pear", "a", 1, "pear", "b", 1, "pear", "a", 1]
    assert runs_of({"fig": ["only"]}) == ["fig", "only", 1]


def test_one_value_for_every_pair_is_counted_per_key() -> None:
    """The counting path (every pair has the same value) gives what the general path gives."""
    pairs = [("b", "1"), ("a", "1"), ("b", "1"), ("c", "1"), ("b", "1")]
    assert list(intermediate.group_runs(pairs)) == [("b", "1", 3), ("a", "1", 1), ("c", "1", 1)]
    assert list(intermediate.group_runs(iter(pairs))) == [("b", "1", 3), ("a", "1", 1), ("c", "1", 1)]
    assert list(intermediate.group_runs([])) == []


@pytest.mark.parametrize("bad", [[("a", "1", "x")], [("a", "1"), ("b",)], [("a", "1"), ["b", "1", "c"]]])
def test_a_pair_that_is_not_two_items_is_an_error(bad: list[Any]) -> None:
    with pytest.raises(ValueError, match="to unpack"):
        list(intermediate.group_runs(bad))


def test_a_pair_that_is_no_sequence_is_refused_as_before_and_any_value_is_kept() -> None:
    with pytest.raises(TypeError, match="cannot unpack non-iterable int"):
        list(intermediate.group_runs([("a", "1"), 5]))
    # The counting path hashes values; an unhashable one (outside the course's contract, but
    # accepted before) takes the general path instead of failing there.
    assert list(intermediate.group_runs([("a", ["x"]), ("a", ["x"])])) == [("a", ["x"], 2)]


def test_merge_keeps_each_keys_values_in_file_order() -> None:
    merged: intermediate.Merged = {}
    intermediate.merge_runs(merged, ["k", "a", 2, "j", "1", 1])
    intermediate.merge_runs(merged, ["k", "a", 1, "k", "b", 1, "j", "1", 4])
    intermediate.merge_runs(merged, ["k", "a", 1])
    assert {key: intermediate.values_of(runs) for key, runs in merged.items()} == {
        "k": ["a", "a", "a", "b", "a"],
        "j": ["1"] * 5,
    }
    assert merged["j"] == ["1", 5]  # adjacent equal values: one run, however many files


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mr-0-0"
    path.write_bytes(intermediate.encode(RUNS))
    assert expand(intermediate.read(str(path))) == GROUPS
    path.write_bytes(intermediate.encode([]))
    assert intermediate.read(str(path)) == []


def damaged(good: bytes) -> dict[str, bytes]:
    header_end = good.index(b"\n") + 1
    flipped = bytearray(good)
    flipped[header_end + 3] ^= 0x01  # "apple" becomes "aqple": still valid JSON, a wrong answer
    return {
        "empty": b"",
        "truncated in the header": good[:10],
        "truncated in the runs": good[:-5],
        "one bit flipped": bytes(flipped),
        "trailing bytes": good + b"]",
        "plain JSON": b'{"apple": ["1"]}',
        "not three items a run": intermediate.encode(["apple", "1"]),
        "bad size": good.replace(b" 1 ", b" 1 x", 1),
    }


@pytest.mark.parametrize("damage", list(damaged(intermediate.encode(RUNS))))
def test_damaged_file_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "mr-3-7"
    path.write_bytes(damaged(intermediate.encode(RUNS))[damage])
    with pytest.raises(IntermediateError, match="intermediate file 'mr-3-7'"):
        intermediate.read(str(path))


def test_reduce_task_fails_clearly_on_a_truncated_file(tmp_path: Path) -> None:
    """The worker's failure message (which the coordinator logs) names the file and what is wrong with it."""
    good = intermediate.encode(["apple", "1", 2])
    (tmp_path / "mr-0-0").write_bytes(good)
    (tmp_path / "mr-1-0").write_bytes(good[:-3])
    worker = Worker(wc.map, wc.reduce, str(tmp_path / "no.sock"), folder=str(tmp_path))
    task = rpc.TaskReply(rpc.REDUCE, task=0, attempt=1, job="test", n_map=2, n_reduce=1)
    with pytest.raises(TaskFailed, match="reduce task 0: IntermediateError: intermediate file 'mr-1-0' is truncated"):
        worker._run_task(task)
    assert list(tmp_path.glob(".mr-tmp-*")) == []
