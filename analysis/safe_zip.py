"""Refuse spreadsheet archives that would expand to far more than their size on disk.

XLSX and ODS files are zip archives. A "zip bomb" (a few kilobytes that inflate to
gigabytes) can exhaust memory on the server when a spreadsheet library opens it. The zip
central directory records every member's compressed and uncompressed size, so the archive
is judged from that index alone, before any member is decompressed: the total uncompressed
size and the overall and per-member compression ratios must stay under limits. Honest
office files compress around 5-30 to 1 (very repetitive sheets somewhat more); deflate
cannot exceed about 1,032 to 1, which the bombs approach. The declared sizes could lie, but
Python's zipfile stops reading a member at its declared size, and since the compressed
size is bounded by the upload limit, the deflate ceiling bounds what any reader inflates.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from analysis import config
from analysis.errors import InputError, Problem

MAX_RATIO = 200.0
MAX_MEMBERS = 10_000
# a member's ratio is judged only above this size: tiny XML parts compress oddly well
_RATIO_FLOOR = 1024 * 1024


def check_archive(path: str | os.PathLike[str], *, max_uncompressed: int | None = None,
                  max_ratio: float = MAX_RATIO, name: str | None = None) -> None:
    """Raise :class:`~analysis.errors.InputError` unless ``path`` is a sane zip archive.

    ``max_uncompressed`` defaults to four times the upload limit
    (:func:`analysis.config.max_upload_bytes`). ``name`` is the file name shown in the
    error (e.g. the original name of an upload saved under a temporary name).

    Examples
    --------
    >>> import io, tempfile, pathlib, zipfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ok.xlsx"
    >>> with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("xl/workbook.xml", "<workbook/>")
    >>> check_archive(p)
    """
    path = Path(path)
    shown = name or path.name
    limit = config.max_upload_bytes() * 4 if max_uncompressed is None else max_uncompressed

    def refuse(reason: str) -> InputError:
        return InputError([Problem(shown, None, None, reason)])

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise refuse("not a valid XLSX/ODS file (the zip container is damaged or missing)") \
            from None
    if len(members) > MAX_MEMBERS:
        raise refuse(f"the archive has {len(members):,} parts; at most {MAX_MEMBERS:,} allowed")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > limit:
        raise refuse(f"the file would expand to {total / 1e6:,.0f} MB, over the "
                     f"{limit / 1e6:,.0f} MB limit (possible zip bomb)")
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > max_ratio * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise refuse(f"part {m.filename!r} is compressed {ratio:,.0f} to 1, over the "
                         f"{max_ratio:,.0f} to 1 limit (possible zip bomb)")
    if total > _RATIO_FLOOR and total > max_ratio * max(packed, 1):
        raise refuse(f"the file is compressed {total / max(packed, 1):,.0f} to 1, over the "
                     f"{max_ratio:,.0f} to 1 limit (possible zip bomb)")
