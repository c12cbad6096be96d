"""Reading and validating input files for the store, with no lock held.

``stage_files`` does everything that can take long or fail (size checks, workbook
measurement, parsing, mapping, validation) before ``Store.write`` takes the database, so
readers wait only for the write itself.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.errors import InputError, Problem

if TYPE_CHECKING:
    from analysis.ingest.referrals import Mapping

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class StagedFile:
    """One input file read and validated, ready for :meth:`Store.write`."""

    path: Path
    name: str
    kind: str
    content_hash: str
    frame: pd.DataFrame


def stage_files(paths: PathLike | Iterable[PathLike], *, kind: str | None = None,
                mapping: Mapping | PathLike | None = None,
                names: list[str] | None = None, release: str | None = None,
                strict: bool = False) -> list[StagedFile]:
    """Read and validate every file without touching the store (no lock is held).

    Raises :class:`~analysis.errors.InputError` listing every problem in every file.
    Workbooks are measured by :func:`analysis.safe_zip.check_workbook` before any reader
    opens them, whatever their kind.
    """
    paths = [Path(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths)]
    names = names or [p.name for p in paths]
    staged, problems = [], []
    for path, name in zip(paths, names, strict=True):
        try:
            staged.append(_stage(path, name, kind, mapping, release, strict))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return staged


def _stage(path: Path, name: str, kind: str | None, mapping, release: str | None = None,
           strict: bool = False) -> StagedFile:
    from analysis.ingest import detect_kind, read_referrals
    from analysis.ingest.tabular import check_size
    from analysis.safe_zip import check_workbook

    if not path.exists():
        raise InputError([Problem(name, None, None, "file not found")])
    check_size(path, name)
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":  # XLSX and ODS are zip archives
            check_workbook(path, name=name)  # every workbook reader, NRM included, is bounded
    kind = kind or detect_kind(path, name)
    if kind == "referrals":
        frame = read_referrals(path, mapping, name=name)
    elif kind == "nrm":
        from analysis.ingest.nrm_tables import read_nrm_tables

        frame = read_nrm_tables(path, source_release=release, strict=strict, name=name)
    else:
        raise InputError([Problem(name, None, None, f"unknown kind '{kind}' (referrals or nrm)")])
    return StagedFile(path, name, kind, content_hash(path), frame)


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks: the identity of a load."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
