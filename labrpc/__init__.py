"""labrpc: the course's simulated network, in memory (see network.py for the cheat sheet).

Peers are threads; every RPC handler runs on its own thread; arguments and replies are
copied through our codec (labgob), so no object is shared between peers.
"""

from labrpc.channel import Channel, ChannelClosed
from labrpc.network import ClientEnd, Fate, Network, set_observer
from labrpc.service import Server, Service, UnknownMethod, handler

__all__ = [
    "Channel",
    "ChannelClosed",
    "ClientEnd",
    "Fate",
    "Network",
    "Server",
    "Service",
    "UnknownMethod",
    "handler",
    "set_observer",
]
