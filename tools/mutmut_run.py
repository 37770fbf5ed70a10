"""Mutation testing of Raft's rules: mutmut 3.8.1 (setup.cfg's `mutation` extra), configured in
setup.cfg's [mutmut] section, with two things mutmut does not do by itself.

    PYTHONHASHSEED=0 python -m tools.mutmut_run rules       # the rule modules' mutants (~15 min)
    PYTHONHASHSEED=0 python -m tools.mutmut_run results     # the survivors
    PYTHONHASHSEED=0 python -m tools.mutmut_run show NAME   # one mutant's diff
    PYTHONHASHSEED=0 python -m tools.mutmut_run run         # every mutant of the six files (> 1 h)

1. ``rules`` runs the mutants of RULES only: raft/log.py and raft/progress.py whole, and the
   functions that hold the receiver, vote and commit rules (the rest of those files is
   threads and sending, whose mutants mostly hang until their time limit).
2. mutmut leaves every decorated function alone (a decorator may be a property or have side
   effects). labrpc's @handler only marks the function, so the trampoline mutmut puts in its
   place serves as well: here @handler methods are mutated like plain ones. This patches a
   private method of mutmut 3.8.1, hence the pin.

Any other arguments go to mutmut as they are. Start clean (``rm -rf mutants``) after changing
tests or configuration: a plain ``run`` skips mutants that already have a result.
"""

from __future__ import annotations

import sys
from typing import Any

import libcst as cst
from mutmut.mutation import file_mutation

# mutmut's names for the mutants of the rule functions (module.xǁClassǁmethod__mutmut_N).
RULES = [
    "raft.log.*",
    "raft.progress.*",
    "raft.replication.xǁReplicationǁappend_entries__mutmut_*",
    "raft.replication.xǁReplicationǁ_reject_locked__mutmut_*",
    "raft.replication.xǁReplicationǁ_maybe_advance_commit_locked__mutmut_*",
    "raft.replication.x_quorum_index__mutmut_*",
    "raft.replication.xǁReplicationǁ_handle_append_entries_reply_locked__mutmut_*",
    "raft.replication.xǁReplicationǁ_settle_reply_locked__mutmut_*",
    "raft.election.xǁElectionǁrequest_vote__mutmut_*",
    "raft.election.xǁElectionǁ_may_vote_for_locked__mutmut_*",
    "raft.election.xǁElectionǁ_handle_vote_reply_locked__mutmut_*",
    "raft.election.xǁElectionǁ_is_majority_locked__mutmut_*",
    "raft.core.xǁRaftCoreǁ_commit_to_locked__mutmut_*",
    "raft.core.xǁRaftCoreǁ_observe_term_locked__mutmut_*",
    "raft.core.xǁRaftCoreǁ_become_follower_locked__mutmut_*",
    "raft.snapshot.xǁSnapshotsǁinstall_snapshot__mutmut_*",
]
MARKERS_ONLY = {"handler"}  # decorators that only mark a function

_skip_node_and_children = file_mutation.MutationVisitor._skip_node_and_children


def _skip_unless_only_marked(self: Any, node: Any) -> bool:
    """mutmut's rule, except that a function whose decorators only mark it is mutated."""
    decorators = getattr(node, "decorators", ())
    only_marked = (
        isinstance(node, cst.FunctionDef)
        and decorators
        and all(isinstance(d.decorator, cst.Name) and d.decorator.value in MARKERS_ONLY for d in decorators)
    )
    if not only_marked:
        return bool(_skip_node_and_children(self, node))
    position = self.get_metadata(file_mutation.PositionProvider, node, None)
    if position and position.start.line in self._ignored_node_lines:  # a "pragma: no mutate"
        self.ignored_functions.add(node.name.value)
        return True
    return node.name.value in file_mutation.NEVER_MUTATE_FUNCTION_NAMES


def main(argv: list[str]) -> int:
    file_mutation.MutationVisitor._skip_node_and_children = _skip_unless_only_marked
    from mutmut.__main__ import cli  # after the patch: mutmut's CLI imports the visitor

    args = ["run", "--max-children", "2", *RULES] if argv[:1] == ["rules"] else argv
    sys.argv = [sys.argv[0], *args]
    cli()  # exits with mutmut's status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
