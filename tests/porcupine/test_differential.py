"""The checker against a brute-force oracle on many small random histories.

Linearizable histories come from a real sequential run whose operations are then stretched
into overlapping intervals; "mutated" ones get one random change (another answer, another
time, another write, a duplicate) that may or may not break them. The oracle tries every
real-time-respecting order of the whole history, with no partitioning and no memo table, so
agreement also checks the per-key split, the linked list and the cache. Seeded: reproducible.
"""

from __future__ import annotations

import random

from porcupine import CheckResult, check_events, check_operations, check_operations_verbose
from porcupine.models import KvModel
from tests.porcupine.histories import (
    brute_force_linearizable,
    mutate,
    random_ok_history,
    reference_partials,
    to_events,
)

CASES = 300


def check_all_ways(history) -> bool:
    """The checker's verdict, after making sure all its entry points give the same one."""
    ok = check_operations(KvModel, history)
    verbose, _ = check_operations_verbose(KvModel, history, 0)
    assert verbose is (CheckResult.OK if ok else CheckResult.ILLEGAL)
    assert check_events(KvModel, to_events(history)) == ok
    return ok


def test_ok_histories_agree_with_brute_force():
    rng = random.Random(6824)
    for case in range(CASES):
        history = random_ok_history(rng, rng.randint(1, 7), ["a", "b"][: rng.randint(1, 2)])
        assert brute_force_linearizable(history), f"case {case}: the generator made a bad history"
        assert check_all_ways(history), f"case {case}: checker says illegal: {history}"


def test_mutated_histories_agree_with_brute_force():
    rng = random.Random(2022)
    outcomes = {True: 0, False: 0}
    for case in range(CASES):
        history = mutate(rng, random_ok_history(rng, rng.randint(1, 6), ["a", "b"][: rng.randint(1, 2)]))
        expected = brute_force_linearizable(history)
        assert check_all_ways(history) == expected, f"case {case}: oracle says {expected}: {history}"
        outcomes[expected] += 1
    # Not vacuous: the mutations produce plenty of both kinds.
    assert outcomes[True] > CASES // 10 and outcomes[False] > CASES // 10, outcomes


def test_partial_linearizations_match_porcupines_bookkeeping():
    # The checker finds each operation's longest linearizable prefix in O(1) per backtrack
    # (see _PartitionSearch); porcupine's direct O(stack) method must give the same sets.
    rng = random.Random(824)
    compared = 0
    for _ in range(CASES):
        history = mutate(rng, random_ok_history(rng, rng.randint(2, 7), ["a"]))
        result, info = check_operations_verbose(KvModel, history, 0)
        for entries, partials in zip(info.history, info.partial_linearizations, strict=True):
            assert set(partials) == reference_partials(KvModel, entries), history
            compared += result is CheckResult.ILLEGAL
    assert compared > CASES // 10
