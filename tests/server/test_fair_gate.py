"""The push gate lets waiters through in the order they came, one at a time."""

from __future__ import annotations

import threading
import time

from oa_server.fair_gate import FairGate


def _wait_for(predicate, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.001)


def test_waiters_go_through_in_arrival_order_one_at_a_time():
    gate = FairGate()
    order: list[int] = []
    inside = []
    overlap = []

    def worker(n: int) -> None:
        with gate:
            inside.append(n)
            if len(inside) > 1:
                overlap.append(n)
            order.append(n)
            time.sleep(0.002)
            inside.remove(n)

    threads = []
    with gate:  # hold it while eight queue up, each after the one before is waiting
        for n in range(8):
            t = threading.Thread(target=worker, args=(n,))
            t.start()
            threads.append(t)
            _wait_for(lambda n=n: gate.waiting == n + 1)
    for t in threads:
        t.join(timeout=5)
    assert order == list(range(8))
    assert overlap == []
    assert gate.waiting == 0


def test_an_error_inside_releases_the_gate():
    gate = FairGate()
    try:
        with gate:
            raise ValueError("推送失败")
    except ValueError:
        pass
    got = threading.Event()

    def take() -> None:
        with gate:
            got.set()

    t = threading.Thread(target=take)
    t.start()
    t.join(timeout=5)
    assert got.is_set()
