"""Several server processes on one listening socket (POSIX), so Python uses every core.

One process holds the GIL for everything pure Python a callback does (building a Plotly
figure, encoding JSON), so threads alone keep a dashboard on about one core. ``serve_forked``
binds nothing itself: the caller binds the socket (so a busy port is one clear error
before any worker starts), then ``workers`` children are forked, each running its own
waitress with its own threads on that socket; the kernel hands each new connection to
whichever child accepts it first. The app is built once before forking (as
``gunicorn --preload`` does), so children share its memory copy-on-write.

The parent only supervises: a child that dies is replaced (at most ``MAX_RESTARTS`` a
minute, then the server stops, saying why), and SIGTERM or Ctrl+C stops every child.
State that must hold across workers lives in files, never in a process: the login
session is a signed cookie, the users file is re-read when it changes and updated under
a file lock, the audit log is appended with single O_APPEND writes, and the login
throttle is ``dashboard.throttle.SharedLoginThrottle``. The store is DuckDB, which many
processes may read at once (``analysis.store.database``).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

from analysis.errors import DarkFigureError

MAX_WORKERS = 32
MAX_RESTARTS = 10  # replacements of dead workers per minute before giving up
STOP_GRACE_S = 10.0


def can_fork() -> bool:
    """Whether this platform can run several worker processes (POSIX ``fork``)."""
    return hasattr(os, "fork") and sys.platform != "win32"


def _spawn(serve_one: Callable[[], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:  # the child: the parent's handlers are not ours
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        serve_one()
    except KeyboardInterrupt:
        pass
    except BaseException:  # noqa: BLE001 - a worker must never return into the parent's code
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _stop(children: set[int]) -> None:
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_S
    while children and time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            children.discard(pid)
        else:
            time.sleep(0.05)
    for pid in children:  # did not stop in time
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def serve_forked(serve_one: Callable[[], None], workers: int) -> None:
    """Run ``serve_one`` in ``workers`` forked children until SIGTERM or Ctrl+C.

    ``serve_one`` serves on a socket the caller has already bound and runs until the
    process is told to stop. Raises :class:`~analysis.errors.DarkFigureError` when the
    platform cannot fork or workers keep dying.
    """
    if not can_fork():
        raise DarkFigureError("several worker processes need a POSIX system (Linux, macOS); "
                              "on Windows use one worker (--workers 1) and more --threads")
    children: set[int] = set()
    restarts: list[float] = []

    def terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        for _ in range(workers):
            children.add(_spawn(serve_one))
        while children:
            pid, status = os.wait()
            if pid not in children:
                continue
            children.discard(pid)
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > MAX_RESTARTS:
                raise DarkFigureError(
                    f"server workers keep stopping (last exit status {status}); see the "
                    "messages above")
            children.add(_spawn(serve_one))
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)
        signal.signal(signal.SIGTERM, previous)
