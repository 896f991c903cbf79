"""A first-come, first-served lock: waiters go through in the order they arrived.

`threading.Lock` wakes an arbitrary waiter on release, so under a steady queue of pushes
some wait many turns while others pass straight through; the tail latency is set by the
unlucky ones. Here the holder hands the gate to the oldest waiter directly.
"""

from __future__ import annotations

import threading
from collections import deque


class FairGate:
    """A lock granted in arrival order (FIFO); use as a context manager."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def __enter__(self) -> FairGate:
        with self._guard:
            if not self._held:
                self._held = True
                return self
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # the previous holder handed the gate over: it is held for us
        return self

    def __exit__(self, *exc: object) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        """How many are queued behind the holder."""
        with self._guard:
            return len(self._waiters)
