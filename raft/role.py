"""A peer's role (figure 4: follower, candidate, leader) and the timing that drives it."""

from enum import Enum

HEARTBEAT_INTERVAL_S = 0.1  # the tester allows at most 10 heartbeats per second
# Far above the paper's 150-300 ms, since heartbeats are 10x rarer than the paper's; the
# tester wants a new leader within 5 s of a failure (handout, 2A).
ELECTION_TIMEOUT_MIN_S = 0.4
ELECTION_TIMEOUT_MAX_S = 0.8


class Role(Enum):
    FOLLOWER = "F"
    CANDIDATE = "C"
    LEADER = "L"
