"""An unbuffered Go-style channel, for applyCh.

    ch.send(v)          blocks until a receiver has taken v; raises ChannelClosed if the channel closes first
    ch.send_each(vs)    as ``for v in vs: ch.send(v)``, sleeping once for the lot (below)
    ch.recv()           blocks until a value arrives; raises ChannelClosed once closed
    for v in ch:        receives until the channel is closed
    ch.close()          wakes every blocked sender and receiver

Unbuffered on purpose: in Go, a Raft peer that holds its lock while sending on applyCh
deadlocks as soon as the service calls back into Raft (the 2D tester calls Snapshot() from
its apply loop). The same mistake deadlocks here, so the lesson is as real as in Go.

As in Go's runtime, a send to a receiver that is already waiting hands the value over and
returns at once: the receiver has taken it, so the sender need not wait to be told. Only a
send that finds nobody waiting parks until a receiver comes. A parked sender or receiver
waits on a baton of its own (a lock), released only after the channel's lock: woken under
that lock, it would wake only to block on the lock, one more thread switch.

send_each() is for a sender with several values ready (Raft's applier with a batch of
committed entries). Each value is still taken by one recv(), in order, and the call returns
only once the last is taken: to every receiver it is the loop of sends. But a parked sender
is not woken to offer each next value; a receiver takes it from the parked offer, and only
the last wakes the sender. A loop of send()s costs a thread switch per value, each time the
sender and receiver take turns; send_each costs one per batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

import runtime

T = TypeVar("T")


class ChannelClosed(Exception):
    """The channel was closed before the send or receive could complete."""


class _Handoff:
    """A parked sender's values, or a parked receiver's empty hands, and the baton it waits
    on: a lock taken when it parks, released by whoever completes the handoff (or closes the
    channel) once the channel's lock is free again."""

    __slots__ = ("values", "taken", "done", "baton")

    def __init__(self, values: Sequence[Any] = ()) -> None:
        self.values = values  # a sender's values; a receiver's hands hold the one it got at [0]
        self.taken = 0  # how many of a sender's values receivers have taken
        self.done = False  # every value has changed hands
        self.baton = runtime.Lock()
        self.baton.acquire()


class Channel(Generic[T]):
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._senders: deque[_Handoff] = deque()  # parked senders, oldest first
        self._receivers: deque[_Handoff] = deque()  # parked receivers, oldest first
        self._closed = False

    def send(self, value: T) -> None:
        self.send_each((value,))

    def send_each(self, values: Sequence[T]) -> None:
        """Send values in order, each to one recv(); return once the last is taken."""
        with self._mu:
            if self._closed:
                raise ChannelClosed("send on closed channel")
            woken = []
            given = 0
            while given < len(values) and self._receivers:
                hands = self._receivers.popleft()
                hands.values, hands.done = (values[given],), True
                woken.append(hands)
                given += 1
            offer = None
            if given < len(values):
                offer = _Handoff(values)
                offer.taken = given
                self._senders.append(offer)
        for hands in woken:
            hands.baton.release()  # it has its value: wake it, and go on
        if offer is None:
            return
        offer.baton.acquire()  # parked until receivers take the rest or the channel closes
        if not offer.done:
            raise ChannelClosed("channel closed before every value was received")

    def recv(self) -> T:
        with self._mu:
            if self._closed:
                raise ChannelClosed("receive on closed channel")
            sender = self._senders[0] if self._senders else None
            if sender is not None:
                value: T = sender.values[sender.taken]
                sender.taken += 1
                sender.done = sender.taken == len(sender.values)
                if sender.done:
                    self._senders.popleft()
            else:
                hands = _Handoff()
                self._receivers.append(hands)
        if sender is not None:
            if sender.done:
                sender.baton.release()  # its last value is taken: it may go on
            return value
        hands.baton.acquire()  # parked until a sender hands over a value or the channel closes
        if not hands.done:
            raise ChannelClosed("receive on closed channel")
        received: T = hands.values[0]
        return received

    def close(self) -> None:
        with self._mu:
            self._closed = True
            parked = [*self._senders, *self._receivers]
            self._senders.clear()
            self._receivers.clear()
        for handoff in parked:
            handoff.baton.release()  # done stays False: each raises ChannelClosed

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                yield self.recv()
            except ChannelClosed:
                return
