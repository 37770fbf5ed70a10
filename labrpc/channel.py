"""An unbuffered Go-style channel, for applyCh.

    ch.send(v)      blocks until a receiver has taken v; raises ChannelClosed if the channel closes first
    ch.recv()       blocks until a value arrives; raises ChannelClosed once closed
    for v in ch:    receives until the channel is closed
    ch.close()      wakes every blocked sender and receiver

Unbuffered on purpose: in Go, a Raft peer that holds its lock while sending on applyCh
deadlocks as soon as the service calls back into Raft (the 2D tester calls Snapshot() from
its apply loop). The same mistake deadlocks here, so the lesson is as real as in Go.
"""

from __future__ import annotations

from typing import Any, Generic, Iterator, TypeVar

import runtime

T = TypeVar("T")


class ChannelClosed(Exception):
    """The channel was closed before the send or receive could complete."""


class Channel(Generic[T]):
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        # Notified whenever the slot fills or empties, or the channel closes; senders wait
        # for an empty slot and then for their value to be taken, receivers for a full slot.
        self._changed = runtime.Condition(self._mu)
        self._slot: Any = None
        self._full = False
        self._sent = 0  # values put in the slot so far, guarded by _mu
        self._taken = 0  # values taken from the slot so far; _taken <= _sent
        self._closed = False

    def send(self, value: T) -> None:
        with self._mu:
            while self._full and not self._closed:
                self._changed.wait()
            if self._closed:
                raise ChannelClosed("send on closed channel")
            self._slot, self._full = value, True
            self._sent += 1
            ticket = self._sent
            self._changed.notify_all()
            while self._taken < ticket and not self._closed:
                self._changed.wait()
            if self._taken < ticket:
                self._slot, self._full = None, False
                raise ChannelClosed("channel closed before the value was received")

    def recv(self) -> T:
        with self._mu:
            while not self._full and not self._closed:
                self._changed.wait()
            if not self._full:
                raise ChannelClosed("receive on closed channel")
            value, self._slot, self._full = self._slot, None, False
            self._taken += 1
            self._changed.notify_all()
            return value

    def close(self) -> None:
        with self._mu:
            self._closed = True
            self._changed.notify_all()

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                yield self.recv()
            except ChannelClosed:
                return
