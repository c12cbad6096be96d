"""Owner-only files and folders for everything that holds record-level data.

The store, its write-ahead log, backups and exports hold pseudonymised but sensitive
records, so like the users file and the session key they are readable by their owner
only: files 0600, folders 0700 (on POSIX; Windows keeps its folder ACLs). Folders are
tightened only when this code creates them, so pointing the store into a shared folder
never changes that folder's permissions behind its owner's back.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing folder is left as is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = private_folder(pathlib.Path(tempfile.mkdtemp()) / "a" / "b")
    >>> oct(folder.stat().st_mode & 0o777), oct(folder.parent.stat().st_mode & 0o777)
    ('0o700', '0o700')
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=FOLDER_MODE)
        with contextlib.suppress(OSError):
            os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return path


def make_private(path: str | os.PathLike[str]) -> None:
    """Make an existing file (or folder) of ours owner-only; others' files are left alone."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return
    mode = FOLDER_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    if stat.S_IMODE(info.st_mode) != mode:
        with contextlib.suppress(OSError):
            os.chmod(path, mode)


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a file that is owner-only from the moment it exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_private_bytes(pathlib.Path(tempfile.mkdtemp()) / "x.csv", b"a\\n")
    >>> oct(p.stat().st_mode & 0o777)
    '0o600'
    """
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    make_private(path)  # an existing file keeps its mode through O_CREAT
    return path


@contextlib.contextmanager
def owner_only_umask() -> Iterator[None]:
    """Within the block, files and folders this process creates are owner-only (umask
    077). For the command line, whose exports and stores are written by many libraries."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
