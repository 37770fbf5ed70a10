"""The course's labrpc/test_test.go, ported one to one (same names, counts and bounds)."""

from __future__ import annotations

from dataclasses import dataclass

import runtime
from labrpc import Network, Server, Service, codec, handler


@codec.register
@dataclass
class JunkArgs:
    x: int = 0


@codec.register
@dataclass
class JunkReply:
    x: str = ""


class JunkServer:
    """The course's JunkServer: handlers that log what they saw."""

    def __init__(self) -> None:
        self.mu = runtime.Lock()
        self.log1: list[str] = []
        self.log2: list[int] = []
        # TestKilled's handler3 sleeps 20 s; the test releases it at its end, so the
        # thread does not outlive the test (our harness fails tests that leak threads).
        self.release = runtime.Event()

    @handler
    def handler1(self, args: str) -> int:
        with self.mu:
            self.log1.append(args)
            return int(args)

    @handler
    def handler2(self, args: int) -> str:
        with self.mu:
            self.log2.append(args)
            return f"handler2-{args}"

    @handler
    def handler3(self, args: int) -> int:
        with self.mu:
            self.release.wait(20)
            return -args

    @handler
    def handler4(self, args: JunkArgs) -> JunkReply:
        return JunkReply("pointer")

    @handler
    def handler5(self, args: JunkArgs) -> JunkReply:
        return JunkReply("no pointer")

    @handler
    def handler6(self, args: str) -> int:
        with self.mu:
            self.log1.append(args)
            return len(args)

    @handler
    def handler7(self, args: int) -> str:
        with self.mu:
            self.log2.append(args)
            return "y" * args


def make_junk_server(net: Network, servername, endnames=("end1-99",)):
    js = JunkServer()
    server = Server()
    server.add_service(Service(js))
    net.add_server(servername, server)
    ends = []
    for endname in endnames:
        end = net.make_end(endname)
        net.connect(endname, servername)
        net.enable(endname, True)
        ends.append(end)
    return js, ends


def test_basic():
    net = Network()
    try:
        _, (e,) = make_junk_server(net, "server99")
        ok, reply = e.call("JunkServer.Handler2", 111)
        assert ok and reply == "handler2-111", f"wrong reply from Handler2: {reply!r}"
        ok, reply = e.call("JunkServer.Handler1", "9099")
        assert ok and reply == 9099, f"wrong reply from Handler1: {reply!r}"
    finally:
        net.cleanup()


def test_types():
    # Go distinguishes pointer and value arguments; here both handlers take a dataclass,
    # and what matters is that each one is reached and its reply comes back intact.
    net = Network()
    try:
        _, (e,) = make_junk_server(net, "server99")
        ok, reply = e.call("JunkServer.Handler4", JunkArgs())
        assert ok and reply == JunkReply("pointer"), f"wrong reply from Handler4: {reply!r}"
        ok, reply = e.call("JunkServer.Handler5", JunkArgs())
        assert ok and reply == JunkReply("no pointer"), f"wrong reply from Handler5: {reply!r}"
    finally:
        net.cleanup()


def test_disconnect():
    """Does net.enable(endname, False) really disconnect a client?"""
    net = Network()
    try:
        js, _ = make_junk_server(net, "server99", endnames=())
        e = net.make_end("end1-99")
        net.connect("end1-99", "server99")

        ok, reply = e.call("JunkServer.Handler2", 111)
        assert not ok and reply is None, "unexpected reply from a disconnected end"

        net.enable("end1-99", True)
        ok, reply = e.call("JunkServer.Handler1", "9099")
        assert ok and reply == 9099, f"wrong reply from Handler1: {reply!r}"
    finally:
        net.cleanup()


def test_counts():
    """Does net.get_count() return reasonable values?"""
    net = Network()
    try:
        _, (e,) = make_junk_server(net, 99)
        for i in range(17):
            ok, reply = e.call("JunkServer.Handler2", i)
            assert ok and reply == f"handler2-{i}", f"wrong reply {reply!r}, expecting handler2-{i}"
        n = net.get_count(99)
        assert n == 17, f"wrong get_count() {n}, expected 17"
    finally:
        net.cleanup()


def test_bytes():
    """Does net.get_total_bytes() return reasonable values?"""
    net = Network()
    try:
        _, (e,) = make_junk_server(net, 99)
        for _ in range(17):
            args = "x" * 71
            args = args + args
            args = args + args
            ok, reply = e.call("JunkServer.Handler6", args)
            assert ok and reply == len(args), f"wrong reply {reply!r}, expecting {len(args)}"
        n = net.get_total_bytes()
        assert 4828 <= n <= 6000, f"wrong get_total_bytes() {n}"

        for _ in range(17):
            ok, reply = e.call("JunkServer.Handler7", 107)
            assert ok and reply == "y" * 107, f"wrong reply {reply!r}"
        nn = net.get_total_bytes() - n
        assert 1800 <= nn <= 2500, f"wrong get_total_bytes() {nn}"
    finally:
        net.cleanup()


def test_concurrent_many():
    """Test simultaneous RPCs from one client to one server."""
    net = Network()
    try:
        js, _ = make_junk_server(net, 1000, endnames=())

        nclients, nrpcs = 20, 10
        results: list[int] = []
        results_mu = runtime.Lock()

        def client(ii: int) -> None:
            n = 0
            e = net.make_end(ii)
            net.connect(ii, 1000)
            net.enable(ii, True)
            for j in range(nrpcs):
                arg = ii * 100 + j
                ok, reply = e.call("JunkServer.Handler2", arg)
                assert ok and reply == f"handler2-{arg}", f"wrong reply {reply!r}, expecting handler2-{arg}"
                n += 1
            with results_mu:
                results.append(n)

        threads = [runtime.go(client, ii, name=f"client-{ii}") for ii in range(nclients)]
        for t in threads:
            t.join()
        total = sum(results)
        assert total == nclients * nrpcs, f"wrong number of RPCs completed, got {total}, expected {nclients * nrpcs}"
        n = net.get_count(1000)
        assert n == total, f"wrong get_count() {n}, expected {total}"
    finally:
        net.cleanup()


def test_unreliable():
    """Test unreliable networks."""
    net = Network()
    try:
        net.reliable(False)
        js, _ = make_junk_server(net, 1000, endnames=())

        nclients = 300
        successes: list[bool] = []
        results_mu = runtime.Lock()

        def client(ii: int) -> None:
            e = net.make_end(ii)
            net.connect(ii, 1000)
            net.enable(ii, True)
            arg = ii * 100
            ok, reply = e.call("JunkServer.Handler2", arg)
            if ok:
                assert reply == f"handler2-{arg}", f"wrong reply {reply!r}, expecting handler2-{arg}"
            with results_mu:
                successes.append(ok)

        threads = [runtime.go(client, ii, name=f"client-{ii}") for ii in range(nclients)]
        for t in threads:
            t.join()
        total = sum(successes)
        assert total != nclients and total != 0, "all RPCs succeeded despite unreliable" if total else "none succeeded"
    finally:
        net.cleanup()


def test_concurrent_one():
    """Test concurrent RPCs from a single ClientEnd."""
    net = Network()
    try:
        js, (e,) = make_junk_server(net, 1000, endnames=("c",))
        nrpcs = 20
        results: list[bool] = []
        results_mu = runtime.Lock()

        def call(ii: int) -> None:
            arg = 100 + ii
            ok, reply = e.call("JunkServer.Handler2", arg)
            assert ok and reply == f"handler2-{arg}", f"wrong reply {reply!r}, expecting handler2-{arg}"
            with results_mu:
                results.append(ok)

        threads = [runtime.go(call, ii, name=f"call-{ii}") for ii in range(nrpcs)]
        for t in threads:
            t.join()
        assert len(results) == nrpcs, f"wrong number of RPCs completed, got {len(results)}, expected {nrpcs}"
        with js.mu:
            assert len(js.log2) == nrpcs, "wrong number of RPCs delivered"
        n = net.get_count(1000)
        assert n == nrpcs, f"wrong get_count() {n}, expected {nrpcs}"
    finally:
        net.cleanup()


def test_regression1():
    """Regression: an RPC that's delayed during enable(False) should not delay subsequent RPCs
    (e.g. after enable(True))."""
    net = Network()
    try:
        js, _ = make_junk_server(net, 1000, endnames=())
        e = net.make_end("c")
        net.connect("c", 1000)

        # start some RPCs while the ClientEnd is disabled; they'll be delayed.
        net.enable("c", False)
        outcomes: list[bool] = []

        def call(ii: int) -> None:
            ok, _ = e.call("JunkServer.Handler2", 100 + ii)
            outcomes.append(ok)

        threads = [runtime.go(call, ii, name=f"call-{ii}") for ii in range(20)]
        runtime.sleep(0.1)

        # now enable the ClientEnd and check that an RPC completes quickly.
        t0 = runtime.now()
        net.enable("c", True)
        ok, reply = e.call("JunkServer.Handler2", 99)
        assert ok and reply == "handler2-99", f"wrong reply {reply!r}, expecting handler2-99"
        dur = runtime.now() - t0
        assert dur <= 0.03, f"RPC took too long ({dur:.3f} s) after enable"

        for t in threads:
            t.join()
        with js.mu:
            assert len(js.log2) == 1, f"wrong number of RPCs delivered, {len(js.log2)} instead of 1"
        n = net.get_count(1000)
        assert n == 1, f"wrong get_count() {n}, expected 1"
    finally:
        net.cleanup()


def test_killed():
    """If a server is killed while an RPC's handler is running, the call must return false
    promptly, even though the handler has not returned."""
    net = Network()
    js, (e,) = make_junk_server(net, "server99")
    try:
        done = runtime.Event()
        outcome: list[bool] = []

        def call() -> None:
            ok, _ = e.call("JunkServer.Handler3", 99)
            outcome.append(ok)
            done.set()

        runtime.go(call, name="caller")
        runtime.sleep(1)
        assert not done.wait(0.1), "Handler3 should not have returned yet"

        net.delete_server("server99")
        assert done.wait(0.1), "Handler3 should return after delete_server()"
        assert outcome == [False], "Handler3 returned successfully despite delete_server()"
    finally:
        js.release.set()
        net.cleanup()


def test_benchmark():
    """100000 sequential RPCs; prints the time, as the course's (which asserts nothing)."""
    net = Network()
    try:
        _, (e,) = make_junk_server(net, "server99")
        n = 100_000
        t0 = runtime.now()
        for _ in range(n):
            ok, reply = e.call("JunkServer.Handler2", 111)
            assert ok and reply == "handler2-111", f"wrong reply from Handler2: {reply!r}"
        elapsed = runtime.now() - t0
        print(f"\n{elapsed:.2f} s for {n} RPCs: {elapsed / n * 1e6:.1f} us/RPC, {n / elapsed:.0f} RPCs/second")
    finally:
        net.cleanup()
