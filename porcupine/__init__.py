"""porcupine: a linearizability checker (the course's porcupine package, in Python).

Cheat sheet:

    from porcupine import Operation, CheckResult, check_operations_verbose, visualize_path
    from porcupine.models import KvModel, KvInput, KvOutput, GET, PUT, APPEND

    op = Operation(client_id, input, call, output, return_)     times: ints, e.g. ns since t0
    check_operations(model, history) -> bool                    no time limit
    check_operations_timeout(model, history, timeout_s) -> CheckResult
    check_operations_verbose(model, history, timeout_s) -> (CheckResult, LinearizationInfo)
    check_events / check_events_timeout / check_events_verbose  the same for Event histories
    visualize(model, info, file_obj)  visualize_path(model, info, path)   one self-contained HTML page

CheckResult is OK, ILLEGAL, or UNKNOWN (timed out; timeout_s = 0 means no limit). After a timeout a
non-linearizable history may be reported as UNKNOWN, never as OK; ILLEGAL is always certain. The
kvraft tests treat UNKNOWN as a pass and write the visualization only for ILLEGAL.

The algorithm is in checker.py; the model interface in model.py.
"""

from porcupine.checker import (
    Entry,
    LinearizationInfo,
    check_events,
    check_events_timeout,
    check_events_verbose,
    check_operations,
    check_operations_timeout,
    check_operations_verbose,
)
from porcupine.model import (
    CALL_EVENT,
    RETURN_EVENT,
    CheckResult,
    Event,
    EventKind,
    Model,
    Operation,
    default_describe_operation,
    default_describe_state,
    no_partition,
    no_partition_event,
    shallow_equal,
)
from porcupine.visualization import visualize, visualize_path

__all__ = [
    "CALL_EVENT",
    "RETURN_EVENT",
    "CheckResult",
    "Entry",
    "Event",
    "EventKind",
    "LinearizationInfo",
    "Model",
    "Operation",
    "check_events",
    "check_events_timeout",
    "check_events_verbose",
    "check_operations",
    "check_operations_timeout",
    "check_operations_verbose",
    "default_describe_operation",
    "default_describe_state",
    "no_partition",
    "no_partition_event",
    "shallow_equal",
    "visualize",
    "visualize_path",
]
