"""Raft (lab 2, parts 2A-2D). See raft.py for the API and the map of modules."""

from raft.messages import ApplyMsg
from raft.persister import Persister
from raft.raft import Raft, make

__all__ = ["ApplyMsg", "Persister", "Raft", "make"]
