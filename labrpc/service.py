"""Servers and services: where a request's method name meets a Python method.

    server = Server()
    server.add_service(Service(raft))      # one server may hold several (kvraft: KVServer, Raft)
    server.get_count()                     # RPCs this server has seen

A service is named after its object's class ("Raft", "KVServer"). Only methods marked with
@handler are callable over the network, like Go's exported methods. The wire name of a
handler is its name in CamelCase, as in the course: ``append_entries`` answers
"Raft.AppendEntries". A handler takes the decoded arguments and returns the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import runtime
from labrpc import codec

F = TypeVar("F", bound=Callable[..., Any])


class UnknownMethod(LookupError):
    """A call named a service or method that the server does not have."""


def handler(method: F) -> F:
    """Mark a method as callable over labrpc."""
    method.__labrpc_handler__ = True  # type: ignore[attr-defined]  # a marker on the function, read by Service
    return method


def wire_name(python_name: str) -> str:
    """The one naming rule: request_vote -> RequestVote."""
    return "".join(part[:1].upper() + part[1:] for part in python_name.split("_"))


class Service:
    """The @handler methods of one object, reachable as "<ClassName>.<Method>"."""

    def __init__(self, receiver: Any) -> None:
        self.name = type(receiver).__name__
        self._methods: dict[str, Callable[[Any], Any]] = {}
        for attr in dir(type(receiver)):
            if getattr(getattr(type(receiver), attr), "__labrpc_handler__", False):
                self._methods[wire_name(attr)] = getattr(receiver, attr)

    def dispatch(self, method: str, request: bytes) -> bytes:
        handle = self._methods.get(method)
        if handle is None:
            choices = ", ".join(sorted(self._methods)) or "nothing"
            raise UnknownMethod(f"labrpc: unknown method {method!r} in {self.name}; expecting one of {choices}")
        return codec.encode(handle(codec.decode(request)))


class Server:
    """A labrpc server: a set of services and a count of the RPCs they received."""

    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._services: dict[str, Service] = {}
        self._count = 0  # incoming RPCs, guarded by _mu

    def add_service(self, service: Service) -> None:
        with self._mu:
            self._services[service.name] = service

    def dispatch(self, method: str, request: bytes) -> bytes:
        """Run "Service.Method" on the request bytes and return the reply bytes."""
        with self._mu:
            self._count += 1
            service_name, _, method_name = method.rpartition(".")
            service = self._services.get(service_name)
            choices = ", ".join(sorted(self._services)) or "nothing"
        if service is None:
            raise UnknownMethod(f"labrpc: unknown service {service_name!r} in {method!r}; expecting one of {choices}")
        return service.dispatch(method_name, request)

    def get_count(self) -> int:
        with self._mu:
            return self._count
