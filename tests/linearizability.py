"""The kvraft and shardkv testers' linearizability check (the course's porcupine calls in
kvraft/test_test.go and shardkv/test_test.go): the clients record every operation in an
OpLog, and check_linearizable runs porcupine's key/value model over it with the course's
one-second budget. A history that is not linearizable fails the test and is written as an
HTML page whose path is printed; a check that times out passes, as the course's does,
saying so."""

from __future__ import annotations

import os
import tempfile

import runtime
from labrpc import debug
from porcupine import CheckResult, Operation, check_operations_verbose, visualize_path
from porcupine.models import kv_model

LINEARIZABILITY_CHECK_TIMEOUT_S = 1.0


class OpLog:
    """The history every client appends to, for porcupine."""

    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._operations: list[Operation] = []  # guarded by _mu

    def append(self, op: Operation) -> None:
        with self._mu:
            self._operations.append(op)

    def read(self) -> list[Operation]:
        with self._mu:
            return list(self._operations)


def check_linearizable(op_log: OpLog) -> None:
    history = op_log.read()
    started = runtime.now()
    res, info = check_operations_verbose(kv_model, history, LINEARIZABILITY_CHECK_TIMEOUT_S)
    debug.log("TEST", f"linearizability: {res} for {len(history)} operations in {runtime.now() - started:.2f} s")
    if res is CheckResult.ILLEGAL:
        try:
            fd, path = tempfile.mkstemp(suffix=".html")
            os.close(fd)
        except OSError:
            print("info: failed to create temp file for visualization")
        else:
            try:
                visualize_path(kv_model, info, path)
                print(f"info: wrote history visualization to {path}")
            except OSError:
                print(f"info: failed to write history visualization to {path}")
        raise AssertionError("history is not linearizable")
    elif res is CheckResult.UNKNOWN:
        print("info: linearizability check timed out, assuming history is ok")
