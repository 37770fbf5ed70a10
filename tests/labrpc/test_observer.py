"""labrpc.set_observer (not in the course): every request's delivery and fate, as the
simulator's trace records them (tests/sim_plugin.py)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

import pytest

import runtime
from labrpc import Fate, Network, set_observer
from tests.labrpc.test_labrpc import make_junk_server

Event = tuple[Hashable, Hashable | None, str, Fate]


class Recorder:
    """An observer that keeps what it is told (called from callers' and handlers' threads)."""

    def __init__(self) -> None:
        self.mu = runtime.Lock()
        self.seen = runtime.Condition(self.mu)
        self.events: list[Event] = []

    def __call__(self, endname: Hashable, servername: Hashable | None, method: str, fate: Fate) -> None:
        with self.mu:
            self.events.append((endname, servername, method, fate))
            self.seen.notify_all()

    def take(self) -> list[Event]:
        with self.mu:
            events, self.events = self.events, []
            return events

    def wait_for(self, fate: Fate) -> bool:
        with self.mu:
            return self.seen.wait_for(lambda: any(e[3] is fate for e in self.events), timeout=10)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    assert set_observer(rec) is None  # nobody else observes during our tests
    try:
        yield rec
    finally:
        assert set_observer(None) is rec


def test_a_call_is_delivered_then_replied(recorder: Recorder) -> None:
    net = Network()
    try:
        _, (end,) = make_junk_server(net, "server99")
        assert end.call("JunkServer.Handler2", 111) == (True, "handler2-111")
        assert recorder.take() == [
            ("end1-99", "server99", "JunkServer.Handler2", Fate.DELIVERED),
            ("end1-99", "server99", "JunkServer.Handler2", Fate.REPLIED),
        ]
    finally:
        net.cleanup()


def test_unreachable_ends_and_a_closed_network(recorder: Recorder) -> None:
    net = Network()
    _, (end,) = make_junk_server(net, "server99")
    lonely = net.make_end("lonely")  # never connected
    net.enable("end1-99", False)
    assert end.call("JunkServer.Handler2", 1) == (False, None)
    assert lonely.call("JunkServer.Handler2", 1) == (False, None)
    net.cleanup()
    assert end.call("JunkServer.Handler2", 1) == (False, None)
    assert recorder.take() == [
        ("end1-99", "server99", "JunkServer.Handler2", Fate.UNREACHABLE),
        ("lonely", None, "JunkServer.Handler2", Fate.UNREACHABLE),
        ("end1-99", None, "JunkServer.Handler2", Fate.NETWORK_CLOSED),
    ]


def test_a_server_deleted_while_its_handler_runs(recorder: Recorder) -> None:
    net = Network()
    js, (end,) = make_junk_server(net, "server99")
    try:
        caller = runtime.go(end.call, "JunkServer.Handler3", 99, name="caller")
        assert recorder.wait_for(Fate.DELIVERED)  # Handler3 now waits for js.release
        net.delete_server("server99")
        caller.join()
        assert [e[3] for e in recorder.take()] == [Fate.DELIVERED, Fate.SERVER_DEAD]
    finally:
        js.release.set()
        net.cleanup()


def test_unreliable_losses_name_which_way_was_lost(recorder: Recorder) -> None:
    """A lost request never reached the handler; a lost reply did."""
    net = Network()
    try:
        _, (end,) = make_junk_server(net, "server99")
        net.reliable(False)
        fates: list[list[Fate]] = []
        while not {(Fate.REQUEST_LOST,), (Fate.DELIVERED, Fate.REPLY_LOST)} <= {tuple(f) for f in fates}:
            assert len(fates) < 1000, "no loss of each kind in 1000 unreliable calls"
            ok, _ = end.call("JunkServer.Handler2", len(fates))
            fates.append([e[3] for e in recorder.take()])
            assert ok == (fates[-1][-1] is Fate.REPLIED)
        assert {tuple(f) for f in fates} == {
            (Fate.DELIVERED, Fate.REPLIED),
            (Fate.REQUEST_LOST,),
            (Fate.DELIVERED, Fate.REPLY_LOST),
        }
    finally:
        net.cleanup()


def test_set_observer_returns_the_one_it_replaces() -> None:
    def first(*_: object) -> None: ...

    def second(*_: object) -> None: ...

    assert set_observer(first) is None
    assert set_observer(second) is first
    assert set_observer(None) is second
