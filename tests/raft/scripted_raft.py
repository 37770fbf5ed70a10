"""A stand-in Raft for testing the tester itself: it applies exactly what a test tells it to.

    monkeypatch.setattr(raft, "make", ScriptedRaft.factory(made))   # config.start1 makes these
    rf.deliver(ApplyMsg(...))    its apply thread sends it on apply_ch, killed or not
    rf.finish()                  its apply thread exits (a Raft's threads ending after kill())

kill() does not stop the apply thread, on purpose: a real Raft killed in the middle of a batch
still sends the rest of it, and those are the late applies the tester must keep checking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import runtime
from labrpc import Channel, ClientEnd
from raft.messages import ApplyMsg
from raft.persister import Persister


class ScriptedRaft:
    def __init__(self, me: int, apply_ch: Channel[ApplyMsg]) -> None:
        self.me = me
        self.apply_ch = apply_ch
        self._outbox: Channel[ApplyMsg] = Channel()  # test -> apply thread; closed by finish()
        self._dead = runtime.Event()
        runtime.go(self._apply_thread, name=f"scripted-S{me}-applier")

    @staticmethod
    def factory(
        made: list[ScriptedRaft],
    ) -> Callable[[list[ClientEnd], int, Persister, Channel[ApplyMsg]], ScriptedRaft]:
        """raft.make's signature; every instance made is appended to ``made``."""

        def make(peers: list[ClientEnd], me: int, persister: Persister, apply_ch: Channel[ApplyMsg]) -> ScriptedRaft:
            rf = ScriptedRaft(me, apply_ch)
            made.append(rf)
            return rf

        return make

    def deliver(self, msg: ApplyMsg) -> None:
        """Hand msg to the apply thread (returns once it has taken it, not once it is applied)."""
        self._outbox.send(msg)

    def finish(self) -> None:
        self._outbox.close()

    def _apply_thread(self) -> None:
        for msg in self._outbox:
            self.apply_ch.send(msg)

    # --- the API the tester drives -----------------------------------------------------------

    def start(self, command: Any) -> tuple[int, int, bool]:
        return -1, 0, False

    def get_state(self) -> tuple[int, bool]:
        return 0, False

    def snapshot(self, index: int, snapshot: bytes) -> None:
        pass

    def cond_install_snapshot(self, last_included_term: int, last_included_index: int, snapshot: bytes) -> bool:
        return True

    def kill(self) -> None:
        self._dead.set()

    def killed(self) -> bool:
        return self._dead.is_set()


def command(index: int, value: Any) -> ApplyMsg:
    """A committed command, as Raft applies it."""
    return ApplyMsg(command_valid=True, command=value, command_index=index)
