"""The checker on histories small enough to reason about by hand.

Each test tells the story of one history; times are in ms for readability (the checker only
compares them).
"""

from __future__ import annotations

import random
import time

import pytest

from porcupine import (
    CheckResult,
    Event,
    EventKind,
    Model,
    Operation,
    check_events,
    check_events_verbose,
    check_operations,
    check_operations_timeout,
    check_operations_verbose,
)
from porcupine.models import KvInput, KvModel, KvOutput
from porcupine.models.kv import kv_describe_operation
from tests.porcupine.histories import append, get, kvraft_like_history, put, to_events


def verdicts(history: list[Operation]) -> tuple[bool, CheckResult, CheckResult]:
    """All three entry points, which must agree when nothing times out."""
    ok = check_operations(KvModel, history)
    timed = check_operations_timeout(KvModel, history, 0)
    verbose, _ = check_operations_verbose(KvModel, history, 0)
    assert timed is verbose
    assert ok == (timed is CheckResult.OK)
    return ok, timed, verbose


def test_empty_history_is_ok():
    assert check_operations(KvModel, [])
    result, info = check_operations_verbose(KvModel, [], 1)
    assert result is CheckResult.OK and info.history == []


def test_sequential_ok():
    # One client: put, append, get sees both; a fresh key reads "".
    history = [
        put(0, "x", "a", 0, 10),
        append(0, "x", "b", 20, 30),
        get(0, "x", "ab", 40, 50),
        get(0, "y", "", 60, 70),
    ]
    assert verdicts(history)[0]


def test_concurrent_ok_either_order():
    # Two appends overlap; a later get may see them in either order, but one order for all.
    for seen in ("ab", "ba"):
        history = [
            append(0, "x", "a", 0, 100),
            append(1, "x", "b", 10, 90),
            get(2, "x", seen, 120, 130),
            get(3, "x", seen, 140, 150),
        ]
        assert verdicts(history)[0], seen


def test_concurrent_read_may_see_old_or_new():
    # A get that overlaps a put may return the old or the new value.
    for seen in ("", "v"):
        assert check_operations(KvModel, [put(0, "k", "v", 0, 50), get(1, "k", seen, 10, 60)])


def test_touching_intervals_count_as_concurrent():
    # The get is called at the very instant the put returns: either order is allowed.
    assert check_operations(KvModel, [put(0, "k", "v", 0, 50), get(1, "k", "", 50, 60)])


def test_stale_read_is_illegal():
    # Once a get has returned the new value, a later get may not return the old one.
    history = [
        put(0, "x", "old", 0, 10),
        put(1, "x", "new", 20, 100),
        get(2, "x", "new", 30, 40),
        get(3, "x", "old", 50, 60),
    ]
    ok, timed, verbose = verdicts(history)
    assert not ok and timed is CheckResult.ILLEGAL and verbose is CheckResult.ILLEGAL


def test_lost_write_is_illegal():
    # An acknowledged append must be visible to a get called after it returned.
    history = [
        append(0, "x", "a", 0, 10),
        append(1, "x", "b", 20, 30),
        get(2, "x", "a", 40, 50),
    ]
    assert not verdicts(history)[0]


def test_duplicated_append_is_illegal():
    # A retried append applied twice (no duplicate detection) shows up as "aa".
    history = [append(0, "x", "a", 0, 10), get(1, "x", "aa", 20, 30)]
    assert not verdicts(history)[0]


def test_two_reads_must_agree_on_an_order():
    # Concurrent appends, then two sequential reads seeing different orders: illegal.
    history = [
        append(0, "x", "a", 0, 100),
        append(1, "x", "b", 0, 100),
        get(2, "x", "ab", 110, 120),
        get(2, "x", "ba", 130, 140),
    ]
    assert not verdicts(history)[0]


def test_one_bad_key_makes_the_history_illegal():
    # Partitioning per key: key y is fine, key x has a lost write.
    history = [
        put(0, "y", "1", 0, 10),
        get(1, "y", "1", 20, 30),
        put(0, "x", "1", 0, 10),
        get(1, "x", "", 20, 30),
    ]
    result, info = check_operations_verbose(KvModel, history, 1)
    assert result is CheckResult.ILLEGAL
    assert info.partition_results == [CheckResult.ILLEGAL, CheckResult.OK]  # sorted keys: x, y


def test_operation_returning_before_its_call_is_rejected():
    with pytest.raises(ValueError, match="returns before it is called"):
        check_operations(KvModel, [get(0, "x", "", 10, 5)])


def test_describe_operation_as_the_course():
    assert kv_describe_operation(KvInput(0, "k"), KvOutput("v")) == "get('k') -> 'v'"
    assert kv_describe_operation(KvInput(1, "k", "v"), KvOutput()) == "put('k', 'v')"
    assert kv_describe_operation(KvInput(2, "k", "v"), KvOutput()) == "append('k', 'v')"
    assert kv_describe_operation(KvInput(7, "k", "v"), KvOutput()) == "<invalid>"


# ----------------------------------------------------------------------------------------------
# Verbose mode: the partial linearizations


def test_verbose_ok_gives_the_full_linearization():
    history = [put(0, "x", "a", 0, 10), append(1, "x", "b", 5, 20), get(0, "x", "ab", 30, 40)]
    result, info = check_operations_verbose(KvModel, history, 1)
    assert result is CheckResult.OK
    assert info.partial_linearizations == [[(0, 1, 2)]]


def test_verbose_illegal_keeps_the_longest_prefix():
    # put a; get sees "a"; then a get after everything sees "" -- the longest prefix is 0, 1.
    history = [put(0, "x", "a", 0, 10), get(1, "x", "a", 20, 30), get(2, "x", "", 40, 50)]
    result, info = check_operations_verbose(KvModel, history, 1)
    assert result is CheckResult.ILLEGAL
    assert info.partial_linearizations[0][0] == (0, 1)


def test_partial_linearizations_replay_in_the_model():
    rng = random.Random(7)
    history = kvraft_like_history(rng, 5, 60, 2)
    victim = next(i for i, op in enumerate(history) if op.input.op == 0 and op.output.value)
    op = history[victim]
    history[victim] = Operation(op.client_id, op.input, op.call, KvOutput("nonsense"), op.return_)
    result, info = check_operations_verbose(KvModel, history, 5)
    assert result is CheckResult.ILLEGAL
    for p, partials in enumerate(info.partial_linearizations):
        calls = {e.id: e.value for e in info.history[p] if e.kind == EventKind.CALL}
        returns = {e.id: e.value for e in info.history[p] if e.kind == EventKind.RETURN}
        for partial in partials:
            state = KvModel.init()
            for op_id in partial:
                ok, state = KvModel.step(state, calls[op_id], returns[op_id])
                assert ok


# ----------------------------------------------------------------------------------------------
# Timeouts


def pathological_history(n: int = 14) -> list[Operation]:
    """n concurrent appends of distinct values, then a read no order explains.

    Every order of the appends gives a different string, so the memo table cannot prune, and
    the search must try all n! orders before it can say Illegal.
    """
    history = [append(i, "x", chr(ord("a") + i), 0, 100) for i in range(n)]
    history.append(get(n, "x", "impossible", 200, 210))
    return history


def test_timeout_gives_unknown():
    start = time.monotonic()
    assert check_operations_timeout(KvModel, pathological_history(), 0.05) is CheckResult.UNKNOWN
    result, info = check_operations_verbose(KvModel, pathological_history(), 0.05)
    assert result is CheckResult.UNKNOWN
    assert info.partition_results == [CheckResult.UNKNOWN]
    assert time.monotonic() - start < 10  # generous: the deadline is honoured, not overshot by seconds


def test_illegal_wins_over_a_timeout():
    # Key "x" cannot be decided in time; key "y" is quickly illegal. Partitions take turns, so
    # the illegal one is found anyway, and a finished failure beats the timeout (kvraft's rule).
    history = pathological_history() + [put(0, "y", "1", 0, 10), get(1, "y", "2", 20, 30)]
    assert check_operations_timeout(KvModel, history, 0.2) is CheckResult.ILLEGAL
    result, info = check_operations_verbose(KvModel, history, 0.2)
    assert result is CheckResult.ILLEGAL
    assert info.partition_results == [CheckResult.UNKNOWN, CheckResult.ILLEGAL]


def test_kvraft_sized_history_is_decided():
    # About what TestPersistPartitionUnreliableLinearizable3A logs: 15 clients, random keys.
    # The course allows 1 s; we only insist on a verdict within a loaded machine's 10 s.
    history = kvraft_like_history(random.Random(3), 15, 1500, 15)
    result, _ = check_operations_verbose(KvModel, history, 10)
    assert result is CheckResult.OK


# ----------------------------------------------------------------------------------------------
# Event histories and other models


def test_event_histories():
    ok = [put(0, "x", "a", 0, 10), append(1, "x", "b", 5, 20), get(0, "x", "ab", 30, 40)]
    bad = [put(0, "x", "a", 0, 10), get(1, "x", "", 20, 30)]
    assert check_events(KvModel, to_events(ok))
    result, info = check_events_verbose(KvModel, to_events(bad), 1)
    assert result is CheckResult.ILLEGAL and info.partial_linearizations == [[(0,)]]


def test_event_history_errors():
    call = Event(0, EventKind.CALL, KvInput(0, "x"), 1)
    ret = Event(0, EventKind.RETURN, KvOutput(""), 1)
    with pytest.raises(ValueError, match="never return"):
        check_events(Model(init=lambda: "", step=lambda s, i, o: (True, s)), [call])
    with pytest.raises(ValueError, match="without a pending call"):
        check_events(Model(init=lambda: "", step=lambda s, i, o: (True, s)), [ret])


def test_model_defaults_and_custom_equality():
    # A register whose states are lists (unhashable), so it needs its own equal: the checker
    # then uses porcupine's bucket table. Inputs: ("w", v) or ("r", None); outputs: v read.
    def step(state, inp, out):
        if inp[0] == "w":
            return True, [inp[1]]
        return out == state[0], state

    register = Model(init=lambda: [0], step=step, equal=lambda a, b: a == b)
    ok = [
        Operation(0, ("w", 1), 0, None, 10),
        Operation(1, ("w", 2), 5, None, 15),
        Operation(2, ("r", None), 20, 1, 30),
    ]
    bad = ok + [Operation(3, ("r", None), 40, 2, 50), Operation(0, ("r", None), 60, 1, 70)]
    assert check_operations(register, ok)
    assert not check_operations(register, bad)
    assert register.describe_operation(("r", None), 1) == "('r', None) -> 1"
    assert register.describe_state([1]) == "[1]"
    assert register.partition(ok) == [ok]
