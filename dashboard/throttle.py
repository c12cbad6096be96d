"""Login throttling: exponential backoff per (user, address), per user and per address."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

MAX_FAILURES = 5  # failed logins per user (or user and address) before backoff starts
ADDRESS_FAILURES = 20  # failed logins from one address, any user, before backoff starts
FAILURE_WINDOW_S = 15 * 60  # failures older than this are forgotten
MAX_DELAY_S = 15 * 60  # backoff doubles from 2 s up to this
MAX_KEYS = 10_000  # throttle memory is bounded whatever an attacker sends


class LoginThrottle:
    """Failed logins, throttled three ways with exponential backoff, never a hard lock.

    A failure counts against the (user, address) pair, the user name and the address. The
    right password from an address the user has logged in from before is slowed only by
    that pair's own failures, so nobody elsewhere can lock a user out, and one user's typos
    on a shared office address do not stop colleagues. Anything else waits for the slowest
    of the three (pair and user after ``MAX_FAILURES``, address after ``ADDRESS_FAILURES``),
    doubling with each further failure up to ``MAX_DELAY_S``. Memory is bounded: at most
    ``MAX_KEYS`` keys are remembered, oldest first out.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._known: OrderedDict[str, float] = OrderedDict()  # "user@address" that logged in
        self._reported: OrderedDict[str, float] = OrderedDict()  # throttles already audited

    @staticmethod
    def _remember(table: OrderedDict, key: str, value) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > MAX_KEYS:
            table.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times.get(key, deque())
        while times and now - times[0] > FAILURE_WINDOW_S:
            times.popleft()
        return times

    def _keys(self, user: str, address: str) -> dict[str, int]:
        return {f"pair:{user}@{address}": MAX_FAILURES, f"user:{user}": MAX_FAILURES,
                f"addr:{address}": ADDRESS_FAILURES}

    def wait_seconds(self, user: str, address: str) -> float:
        """Seconds this login attempt must wait (0 means go ahead and check the password)."""
        now = time.monotonic()
        with self._lock:
            keys = self._keys(user, address)
            if f"{user}@{address}" in self._known:
                keys = dict(list(keys.items())[:1])  # only the pair's own failures
            wait = 0.0
            for key, threshold in keys.items():
                times = self._recent(key, now)
                if len(times) >= threshold:
                    delay = min(2.0 ** (len(times) - threshold + 1), MAX_DELAY_S)
                    wait = max(wait, times[-1] + delay - now)
            return wait

    def fail(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(user, address):
                times = self._recent(key, now)
                times.append(now)
                self._remember(self._times, key, times)

    def succeed(self, user: str, address: str) -> None:
        with self._lock:
            self._times.pop(f"pair:{user}@{address}", None)
            self._remember(self._known, f"{user}@{address}", time.monotonic())

    def first_report(self, user: str, address: str) -> bool:
        """True once per (user, address) and window: throttled attempts are audited once."""
        now, key = time.monotonic(), f"{user}@{address}"
        with self._lock:
            if now - self._reported.get(key, -FAILURE_WINDOW_S - 1) <= FAILURE_WINDOW_S:
                return False
            self._remember(self._reported, key, now)
            return True
