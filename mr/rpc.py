"""Coordinator/worker RPC: the messages, the socket, and XML-RPC over a Unix-domain socket.

Cheat sheet:

    coordinator_sock() -> str          the socket path: $MR_SOCKET, else /var/tmp/824-mr-<uid> (course's rpc.go)
    RpcServer(path, handlers)          serves {"Coordinator.X": fn(dict) -> dict} on a thread pool; close() stops
    call(path, "Coordinator.X", args, ReplyType) -> ReplyType
                                       raises CoordinatorUnreachable when nothing answers at path
                                       (missing socket, refused, reset, timeout), like a false call() in Go

Why XML-RPC: the issue asks for a standard-library mechanism, not a wire format of our own.
xmlrpc marshals dicts, so each message is a dataclass converted with asdict()/Type(**d).
The course dials a Unix socket rather than TCP because MIT's AFS cannot hold sockets; we
keep that, and the per-user path, so test-mr.sh's "while [ -e $SOCKNAME ]" liveness check
carries over. MR_SOCKET lets tests run several jobs at once without sharing one path.
"""

from __future__ import annotations

import http.client
import os
import socket
import socketserver
import threading
import xmlrpc.client
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar
from xmlrpc.server import SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

SOCKET_ENV = "MR_SOCKET"
# How long a worker waits for one reply. The coordinator answers a task request within
# LONG_POLL_S (coordinator.py), so only a wedged coordinator gets near this.
CALL_TIMEOUT_S = 60.0
# sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SOCKET_PATH = 107

# Task kinds in TaskReply.kind.
MAP = "map"
REDUCE = "reduce"
WAIT = "wait"  # nothing to hand out right now: ask again
EXIT = "exit"  # the job is over (done or failed): the handout's "please exit" pseudo-task


def coordinator_sock() -> str:
    """The coordinator's socket path (course: /var/tmp/824-mr-<uid>), overridable by $MR_SOCKET."""
    path = os.environ.get(SOCKET_ENV) or f"/var/tmp/824-mr-{os.getuid()}"
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ValueError(
            f"socket path {path!r} is longer than {MAX_SOCKET_PATH} bytes (AF_UNIX limit); "
            f"set {SOCKET_ENV} to a shorter path"
        )
    return path


@dataclass
class RequestTaskArgs:
    worker: str  # "pid@host", for the coordinator's log only


@dataclass
class TaskReply:
    kind: str  # MAP, REDUCE, WAIT or EXIT
    task: int = 0  # map task X or reduce task Y
    attempt: int = 0  # unique per hand-out; echoed back so the coordinator knows which copy reports
    job: str = ""  # the coordinator's job id, part of temp file names so it can sweep its own
    n_map: int = 0
    n_reduce: int = 0
    filename: str = ""  # map only: the input, exactly as given to the coordinator


@dataclass
class FinishTaskArgs:
    kind: str
    task: int
    attempt: int
    # [temp path, final name] pairs: the worker wrote temp files; the coordinator renames
    # the first finisher's into place, so a slower copy can never overwrite a file in use.
    outputs: list[list[str]] = field(default_factory=list)


@dataclass
class FinishTaskReply:
    accepted: bool  # False: another copy won (or the job is over); delete your temp files


@dataclass
class FailTaskArgs:
    kind: str
    task: int
    attempt: int
    error: str  # one line: what the app raised


@dataclass
class FailTaskReply:
    job_failed: bool


class CoordinatorUnreachable(Exception):
    """Nothing answered at the socket: the coordinator is gone (or never started)."""


Reply = TypeVar("Reply")
# A served method: XML-RPC's decoding of the args dataclass (a dict, but the client could send
# any XML-RPC value) -> the reply dataclass as a dict.
WireHandler = Callable[[Any], dict[str, Any]]


def call(path: str, method: str, args: Any, reply_type: Callable[..., Reply]) -> Reply:
    """Send one RPC and return its reply; a new connection per call, as the course's call() dials each time."""
    proxy = xmlrpc.client.ServerProxy("http://coordinator/", transport=_UnixTransport(path))
    try:
        with proxy:
            result = getattr(proxy, method)(asdict(args))
    except (OSError, http.client.HTTPException) as e:  # ConnectionRefused, FileNotFound, reset, timeout
        raise CoordinatorUnreachable(f"{type(e).__name__}: {e}") from e
    return reply_type(**result)


class RpcServer:
    """XML-RPC on a Unix socket; each request runs on its own daemon thread (handlers may block)."""

    def __init__(self, path: str, handlers: dict[str, WireHandler]) -> None:
        self.path = path
        self._server = _UnixXMLRPCServer(path)
        for name, fn in handlers.items():
            self._server.register_function(fn, name)
        self._inode = os.stat(path).st_ino
        self._thread = threading.Thread(target=self._server.serve_forever, name="mr-rpc-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and remove the socket file, unless someone else has replaced it since."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        try:
            if os.stat(self.path).st_ino == self._inode:
                os.remove(self.path)
        except FileNotFoundError:
            pass


def socket_is_live(path: str) -> bool:
    """True if something accepts connections at path (another coordinator is running)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
        except OSError:
            return False
    return True


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("coordinator", timeout=CALL_TIMEOUT_S)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        return _UnixHTTPConnection(self._path)


class _UnixRequestHandler(SimpleXMLRPCRequestHandler):
    disable_nagle_algorithm = False  # TCP_NODELAY: not an option an AF_UNIX socket has

    # An AF_UNIX peer has no address; http.server would index into '' when logging.
    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the coordinator's log


class _UnixXMLRPCServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer, SimpleXMLRPCDispatcher):
    daemon_threads = True  # a handler blocked in a long poll must not keep the process alive
    block_on_close = False

    def __init__(self, path: str) -> None:
        self.logRequests = False
        SimpleXMLRPCDispatcher.__init__(self, allow_none=False, encoding=None)
        socketserver.UnixStreamServer.__init__(self, path, _UnixRequestHandler)
