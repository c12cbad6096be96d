"""Dashboard accounts: the users file, salted password hashes, roles and the audit log.

Passwords are stored only as scrypt hashes (RFC 7914; ``hashlib.scrypt``, n=2**15, r=8,
p=1, a 16-byte random salt per user), the memory-hard function OWASP's Password Storage
Cheat Sheet recommends when Argon2id is unavailable. The users file is JSON
(``{"users": [{"username", "hash", "role"}]}``), written atomically and owner-only. The
audit log is append-only JSON lines (time, user, action, detail). Each user has a session
``generation``: a login session records it, and changing the password, logging out or
``revoke_sessions`` raises it, so every session issued before stops working at once. The
web guard that uses these lives in ``dashboard/auth.py``; this module knows nothing of the web.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analysis import config
from analysis.errors import DarkFigureError

ROLES = ("viewer", "analyst", "admin")  # each role may do everything the ones before it may
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_MIN_PASSWORD = 12  # NCSC password guidance: length over complexity rules
_audit_lock = threading.Lock()
_users_lock = threading.Lock()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` between processes (POSIX ``flock``), so
    two server workers changing the users file at once cannot lose an update (a logout
    whose generation bump was lost would leave its cookie valid). Without ``fcntl``
    (Windows, where the server runs one process) the thread lock alone serves."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class User:
    username: str
    hash: str
    role: str
    generation: int = 0  # raised to revoke every session issued before

    def may(self, role: str) -> bool:
        """True if this user's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    """A salted scrypt hash, as text: ``scrypt$n$r$p$salt$hash`` (base64 salt and hash).

    Examples
    --------
    >>> h = hash_password("correct horse battery staple")
    >>> h.startswith("scrypt$32768$8$1$"), verify_password("correct horse battery staple", h)
    (True, True)
    >>> verify_password("wrong", h)
    False
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=2**26, **_SCRYPT)
    b64 = base64.b64encode
    return (f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}$"
            f"{b64(salt).decode()}${b64(digest).decode()}")


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), maxmem=2**26, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash of a random password, checked when the user does not exist, so a failed login
# takes as long for an unknown name as for a wrong password (no user enumeration by timing).
_DUMMY_HASH: list[str] = []


def check_login(path: Path, username: str, password: str) -> User | None:
    """The user if ``username`` exists and ``password`` is theirs, else None."""
    user = read_users(path).get(username)
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
        verify_password(password, _DUMMY_HASH[0])
        return None
    return user if verify_password(password, user.hash) else None


def read_users(path: str | os.PathLike[str] | None = None) -> dict[str, User]:
    """Users by name from the users file; an absent file means no users."""
    path = Path(path) if path is not None else config.users_file()
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        users = [User(u["username"], u["hash"], u["role"], int(u.get("generation", 0)))
                 for u in doc["users"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DarkFigureError(f"The users file {path} is not valid: {exc}") from exc
    for user in users:
        if user.role not in ROLES:
            raise DarkFigureError(f"The users file {path} gives {user.username} an unknown "
                                  f"role {user.role!r}; roles are {', '.join(ROLES)}.")
    return {u.username: u for u in users}


def write_users(path: Path, users: dict[str, User]) -> None:
    """Replace the users file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"users": [vars(u) for u in sorted(users.values(), key=lambda u: u.username)]}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_user(path: Path, username: str, password: str, role: str, *,
             replace: bool = False) -> User:
    """Add a user (or, with ``replace``, change an existing user's password and role)."""
    if not _USERNAME.match(username):
        raise DarkFigureError("A user name is 1-64 letters, digits or . _ @ - characters.")
    if role not in ROLES:
        raise DarkFigureError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    if len(password) < _MIN_PASSWORD:
        raise DarkFigureError(f"A password needs at least {_MIN_PASSWORD} characters.")
    hashed = hash_password(password)  # slow on purpose: outside the lock
    with _users_lock, _file_lock(path):
        users = read_users(path)
        if username in users and not replace:
            raise DarkFigureError(f"{username} already exists; use --replace to change them.")
        # A new password (or role) ends every session the user had open.
        generation = users[username].generation + 1 if username in users else 0
        users[username] = User(username, hashed, role, generation)
        write_users(path, users)
        return users[username]


def revoke_sessions(path: Path, username: str) -> User | None:
    """End every session of ``username`` (logout, a stolen cookie): raise their generation.

    Returns the updated user, or None if there is no such user.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "users.json"
    >>> add_user(p, "vera", "a long password", "viewer").generation
    0
    >>> revoke_sessions(p, "vera").generation
    1
    """
    with _users_lock, _file_lock(path):  # threads, then other server processes
        users = read_users(path)
        if username not in users:
            return None
        old = users[username]
        users[username] = User(old.username, old.hash, old.role, old.generation + 1)
        write_users(path, users)
        return users[username]


def remove_user(path: Path, username: str) -> None:
    with _users_lock, _file_lock(path):
        users = read_users(path)
        if username not in users:
            raise DarkFigureError(f"No user called {username} in {path}.")
        del users[username]
        write_users(path, users)


def read_secret_key(path: str | os.PathLike[str] | None = None) -> bytes:
    """The session-signing key, made (32 random bytes, owner-only) on first use."""
    path = Path(path) if path is not None else config.secret_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 16:
        raise DarkFigureError(f"The secret key file {path} holds fewer than 16 bytes.")
    return key


def append_audit(path: Path, user: str | None, action: str, /, **detail) -> dict:
    """Append one event to the audit log and return it.

    Each event is a single ``write`` of one JSON line to a file opened in append mode, so
    lines from concurrent threads and processes never interleave (POSIX O_APPEND).
    """
    record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
              "user": user, "action": action, "detail": detail}
    line = (json.dumps(record, default=str, ensure_ascii=False) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _audit_lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return record


def read_audit(path: Path, last: int | None = None) -> list[dict]:
    """The audit events, oldest first (only the ``last`` few if given)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    if last is not None:
        lines = lines[-last:]
    return [json.loads(line) for line in lines if line.strip()]
