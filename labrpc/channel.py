"""An unbuffered Go-style channel, for applyCh.

    ch.send(v)      blocks until a receiver has taken v; raises ChannelClosed if the channel closes first
    ch.recv()       blocks until a value arrives; raises ChannelClosed once closed
    for v in ch:    receives until the channel is closed
    ch.close()      wakes every blocked sender and receiver

Unbuffered on purpose: in Go, a Raft peer that holds its lock while sending on applyCh
deadlocks as soon as the service calls back into Raft (the 2D tester calls Snapshot() from
its apply loop). The same mistake deadlocks here, so the lesson is as real as in Go.

As in Go's runtime, a send to a receiver that is already waiting hands the value over and
returns at once: the receiver has taken it, so the sender need not wait to be told. Only a
send that finds nobody waiting parks until a receiver comes. That halves the thread switches
per value when the receiver keeps up, which is most of what an apply channel costs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import runtime

T = TypeVar("T")


class ChannelClosed(Exception):
    """The channel was closed before the send or receive could complete."""


class _Handoff:
    """One parked sender's value, or one parked receiver's empty hands."""

    __slots__ = ("value", "done")

    def __init__(self, value: Any = None) -> None:
        self.value = value
        self.done = False  # the value has changed hands


class Channel(Generic[T]):
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        # Notified when a parked sender's value is taken, a parked receiver is given one,
        # or the channel closes; each waiter checks its own _Handoff.
        self._changed = runtime.Condition(self._mu)
        self._senders: deque[_Handoff] = deque()  # parked senders, oldest first
        self._receivers: deque[_Handoff] = deque()  # parked receivers, oldest first
        self._closed = False

    def send(self, value: T) -> None:
        with self._mu:
            if self._closed:
                raise ChannelClosed("send on closed channel")
            if self._receivers:
                self._complete(self._receivers.popleft(), value)
                return
            offer = _Handoff(value)
            self._senders.append(offer)
            self._wait_for(offer)
            if not offer.done:
                raise ChannelClosed("channel closed before the value was received")

    def recv(self) -> T:
        with self._mu:
            if self._closed:
                raise ChannelClosed("receive on closed channel")
            if self._senders:
                offer = self._senders.popleft()
                value: T = offer.value
                self._complete(offer, value)
                return value
            hands = _Handoff()
            self._receivers.append(hands)
            self._wait_for(hands)
            if not hands.done:
                raise ChannelClosed("receive on closed channel")
            received: T = hands.value
            return received

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

    def _complete(self, handoff: _Handoff, value: Any) -> None:
        handoff.value, handoff.done = value, True
        self._changed.notify_all()

    def _wait_for(self, handoff: _Handoff) -> None:
        while not handoff.done and not self._closed:
            self._changed.wait()
