"""The simulated network: ends, servers, and the fate of each request.

Cheat sheet (the course's labrpc.go, in Python):

    net = Network()                    reliable, no long delays, no long reordering
    end = net.make_end(endname)        a client end; starts disabled and unconnected
    net.add_server(servername, server) net.delete_server(servername)
    net.connect(endname, servername)   net.enable(endname, True/False)
    net.reliable(b)  net.long_delays(b)  net.long_reordering(b)
    net.get_count(servername)  net.get_total_count()  net.get_total_bytes()
    net.cleanup()                      every later call fails at once

    ok, reply = end.call("Raft.AppendEntries", args)

call() returns (True, reply) on success and (False, None) when the request was lost, the
reply was lost, or the server is dead or unreachable. It returns eventually, unless the
handler never returns while its server stays alive and connected. Concurrent calls on one
end may be delivered out of order. Arguments and replies are copied through the codec, so
the caller and the server never share an object.

Deviation: the course hands each request to a dispatcher goroutine and then to a goroutine of
its own while Call waits; here the calling thread plays that goroutine, since it waits anyway.
The handler still runs on a thread of its own, so a hung handler cannot hang the network
(threads that finished a handler are reused: see runtime/workers.py).

Observing the network (not in the course): ``set_observer(fn)`` makes every network call
fn(endname, servername, method, fate) as a request reaches its server's handler
(Fate.DELIVERED, on the handler's thread) and once more as call() returns with its fate
(on the caller's thread). The simulator's pytest plugin (tests/sim_plugin.py) mixes these into
its trace hash, so two runs that deliver requests in different orders differ in hash.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import runtime
from labrpc import codec
from labrpc.service import Server, UnknownMethod
from runtime.workers import Workers


class Fate(enum.Enum):
    """What became of a request, as an observer is told (see set_observer)."""

    DELIVERED = "delivered"  # it reached its server's handler (the reply's fate follows)
    REPLIED = "replied"  # call() returns (True, reply)
    # The rest: call() returns (False, None).
    NETWORK_CLOSED = "network closed"  # after cleanup(), at once
    UNREACHABLE = "unreachable"  # end disabled or unconnected, or no server: after a timeout
    REQUEST_LOST = "request lost"  # unreliable network; the handler never ran
    SERVER_DEAD = "server dead"  # the server was deleted or its end disabled meanwhile
    REPLY_LOST = "reply lost"  # unreliable network; the handler did run


Observer = Callable[[Hashable, Hashable | None, str, Fate], None]

# Called for every request of every network, or None. One module-wide observer rather than one
# per Network: a tester makes its networks itself, and the simulator must see them all.
_observer: Observer | None = None


def set_observer(observer: Observer | None) -> Observer | None:
    """Have observer(endname, servername, method, fate) called for every request's delivery
    and fate from now on (None: no one); return the observer it replaces.

    It runs on the caller's or the handler's thread, with no lock held, and must not block;
    servername is None when the end was not connected. With no observer, the cost is one
    None check per event."""
    global _observer
    previous, _observer = _observer, observer
    return previous


@dataclass
class _Route:
    """What the network knew about an end when a request entered it."""

    enabled: bool
    servername: Hashable | None
    server: Server | None
    reliable: bool
    long_reordering: bool
    long_delays: bool

    @property
    def deliverable(self) -> bool:
        return self.enabled and self.servername is not None and self.server is not None


class _Outcome:
    """The handler thread's answer, handed to the waiting caller. Guarded by the network's mu."""

    def __init__(self, mu: Any) -> None:
        # Notified when the handler finishes, and when the route may have died (an end
        # disabled, a server deleted or replaced), so the caller need not poll.
        self.changed = runtime.Condition(mu)
        self.finished = False
        self.reply: bytes | None = None
        self.error: BaseException | None = None


class ClientEnd:
    """One client's end of a connection to a server, as the course's ClientEnd."""

    def __init__(self, endname: Hashable, network: Network) -> None:
        self.endname = endname
        self._network = network

    def call(self, method: str, args: Any) -> tuple[bool, Any]:
        """Send an RPC, wait for the reply; (True, reply) or (False, None) if it was lost.

        method is "Service.Method", e.g. "Raft.RequestVote". An unknown service or method
        raises UnknownMethod naming the valid choices (the course calls log.Fatalf there).
        """
        request = codec.encode(args)
        ok, reply = self._network.process(self.endname, method, request)
        if not ok:
            return False, None
        assert reply is not None  # a request that was REPLIED to carries its reply
        return True, codec.decode(reply)

    def __repr__(self) -> str:
        return f"ClientEnd({self.endname!r})"


class Network:
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._reliable = True
        self._long_delays = False  # pause a long time on sends to disabled ends
        self._long_reordering = False  # sometimes delay replies a long time
        self._ends: dict[Hashable, ClientEnd] = {}
        self._enabled: dict[Hashable, bool] = {}
        self._servers: dict[Hashable, Server | None] = {}
        self._connections: dict[Hashable, Hashable | None] = {}  # endname -> servername
        # Calls waiting for a handler, guarded by _mu. A dict, not a set: its order does not
        # depend on memory addresses, so a simulated run wakes them in the same order every time.
        self._waiting: dict[_Outcome, None] = {}
        self._count = 0  # total RPC count, for statistics
        self._bytes = 0  # total bytes sent, for statistics
        # Set by cleanup(). Every delay waits on it, so cleanup ends them all at once.
        self._done = runtime.Event()
        # Each handler on a thread of its own; reused ones, as a thread start costs two context
        # switches, and TestRegression1 allows 30 ms for a whole call on a loaded machine.
        self._handlers = Workers("labrpc-handler")
        self._handlers.start_idle()

    # --- configuration ---------------------------------------------------------------------

    def reliable(self, yes: bool) -> None:
        with self._mu:
            self._reliable = yes

    def long_reordering(self, yes: bool) -> None:
        with self._mu:
            self._long_reordering = yes

    def long_delays(self, yes: bool) -> None:
        with self._mu:
            self._long_delays = yes

    def make_end(self, endname: Hashable) -> ClientEnd:
        """A new client end, disabled and unconnected. Names must be unique."""
        with self._mu:
            if endname in self._ends:
                raise ValueError(f"labrpc: make_end: {endname!r} already exists")
            end = ClientEnd(endname, self)
            self._ends[endname] = end
            self._enabled[endname] = False
            self._connections[endname] = None
            return end

    def add_server(self, servername: Hashable, server: Server) -> None:
        with self._mu:
            self._servers[servername] = server
            self._wake_waiting_locked()

    def delete_server(self, servername: Hashable) -> None:
        with self._mu:
            self._servers[servername] = None
            self._wake_waiting_locked()

    def connect(self, endname: Hashable, servername: Hashable) -> None:
        """Connect a client end to a server. Meant to be called once per end."""
        with self._mu:
            self._connections[endname] = servername

    def enable(self, endname: Hashable, enabled: bool) -> None:
        with self._mu:
            self._enabled[endname] = enabled
            if not enabled:
                self._wake_waiting_locked()

    def cleanup(self) -> None:
        self._done.set()
        self._handlers.stop()

    # --- statistics ------------------------------------------------------------------------

    def get_count(self, servername: Hashable) -> int:
        """RPCs that the named server's dispatcher has seen."""
        with self._mu:
            server = self._servers[servername]
        assert server is not None, f"get_count({servername!r}): the server was deleted"
        return server.get_count()

    def get_total_count(self) -> int:
        """RPCs sent into the network, lost ones included."""
        with self._mu:
            return self._count

    def get_total_bytes(self) -> int:
        """Bytes of requests sent plus bytes of replies delivered."""
        with self._mu:
            return self._bytes

    # --- the fate of one request -----------------------------------------------------------

    def process(self, endname: Hashable, method: str, request: bytes) -> tuple[bool, bytes | None]:
        """Carry a request to its server and the reply back; (True, reply) or (False, None)."""
        fate, servername, reply = self._carry(endname, method, request)
        observer = _observer
        if observer is not None:
            observer(endname, servername, method, fate)
        return (True, reply) if fate is Fate.REPLIED else (False, None)

    def _carry(self, endname: Hashable, method: str, request: bytes) -> tuple[Fate, Hashable | None, bytes | None]:
        """The request's fate, the server it was routed to, and the reply if it came back."""
        if self._done.is_set():
            return Fate.NETWORK_CLOSED, None, None
        route = self._enter(endname, len(request))
        if not route.deliverable:
            # Simulate no reply and an eventual timeout. Long delays exist so the Raft tests
            # catch a leader that sends its RPCs synchronously; kvraft keeps them short
            # because clerks must try one server after another in rapid succession.
            delay_ms = runtime.randrange(7000) if route.long_delays else runtime.randrange(100)
            self._done.wait(delay_ms / 1000)
            return Fate.UNREACHABLE, route.servername, None
        if not route.reliable:
            self._done.wait(runtime.randrange(27) / 1000)  # a short delay
            if runtime.randrange(1000) < 100:
                return Fate.REQUEST_LOST, route.servername, None  # the handler never runs
        reply = self._run_handler(endname, route, method, request)
        if reply is None:
            return Fate.SERVER_DEAD, route.servername, None
        if not route.reliable and runtime.randrange(1000) < 100:
            return Fate.REPLY_LOST, route.servername, None  # the handler did run
        if route.long_reordering and runtime.randrange(900) < 600:
            # Delay the reply 200..2200 ms, usually near the short end.
            delay_ms = 200 + runtime.randrange(1 + runtime.randrange(2000))
            self._done.wait(delay_ms / 1000)
        with self._mu:
            self._bytes += len(reply)
        return Fate.REPLIED, route.servername, reply

    def _enter(self, endname: Hashable, nbytes: int) -> _Route:
        """Count the request and read the end's route, all under the lock."""
        with self._mu:
            self._count += 1
            self._bytes += nbytes
            servername = self._connections.get(endname)
            return _Route(
                enabled=self._enabled.get(endname, False),
                servername=servername,
                server=self._servers.get(servername) if servername is not None else None,
                reliable=self._reliable,
                long_reordering=self._long_reordering,
                long_delays=self._long_delays,
            )

    def _run_handler(self, endname: Hashable, route: _Route, method: str, request: bytes) -> bytes | None:
        """Run the handler on its own thread; None if the server died meanwhile.

        A reply from a server that was killed (deleted or disconnected) while the handler ran
        is suppressed, so a client never sees success for, say, an Append the server saved
        into a Persister the tester has since replaced.
        """
        outcome = _Outcome(self._mu)
        self._handlers.run(self._dispatch, endname, route, method, request, outcome)
        with self._mu:
            self._waiting[outcome] = None
            try:
                # Deviation: the course polls for a dead server every 100 ms; we are woken by
                # the change itself, so a killed server's callers return at once.
                while not outcome.finished and not self._is_server_dead_locked(endname, route):
                    outcome.changed.wait()
            finally:
                del self._waiting[outcome]
            if outcome.error is not None:
                raise outcome.error
            if self._is_server_dead_locked(endname, route):
                return None  # the handler may go on running; its reply is dropped
            return outcome.reply

    def _is_server_dead_locked(self, endname: Hashable, route: _Route) -> bool:
        return not self._enabled[endname] or self._servers.get(route.servername) is not route.server

    def _wake_waiting_locked(self) -> None:
        for outcome in self._waiting:
            outcome.changed.notify()

    def _dispatch(self, endname: Hashable, route: _Route, method: str, request: bytes, outcome: _Outcome) -> None:
        """Body of a handler thread. An unknown method goes back to the caller; a crash in
        the handler itself is re-raised here so the test harness sees it, and the caller
        sees a dead server (no reply)."""
        observer = _observer
        if observer is not None:  # here, not in the caller: the order in which servers see requests
            observer(endname, route.servername, method, Fate.DELIVERED)
        server = route.server
        assert server is not None  # only a deliverable route gets a handler thread
        reply: bytes | None = None
        error: UnknownMethod | None = None
        try:
            reply = server.dispatch(method, request)
        except UnknownMethod as e:
            error = e
        finally:
            with self._mu:
                outcome.reply, outcome.error, outcome.finished = reply, error, True
                outcome.changed.notify()
