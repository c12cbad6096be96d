"""Reading and validating input files for the store, with no lock held.

``stage_files`` does everything that can take long or fail (size checks, workbook
measurement, parsing, mapping, validation) before ``Store.write`` takes the database, so
readers wait only for the write itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.errors import InputError, Problem

if TYPE_CHECKING:
    from analysis.ingest.referrals import Mapping

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class StagedFile:
    """One input file read and validated, ready for :meth:`Store.write`.

    A small file's rows are held in ``frame``. A large CSV extract's are not: they are
    validated a block at a time and kept in Parquet files (``parts``, ``rows`` of them in
    all) in a private temporary folder, removed when ``folder`` is cleaned up or garbage
    collected (:meth:`discard`).
    """

    path: Path
    name: str
    kind: str
    content_hash: str
    frame: pd.DataFrame | None
    parts: tuple[Path, ...] = ()
    rows: int | None = None
    folder: tempfile.TemporaryDirectory | None = field(default=None, repr=False, compare=False)

    @property
    def row_count(self) -> int:
        return len(self.frame) if self.frame is not None else int(self.rows or 0)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.frame.attrs.get("load_notes", ())) if self.frame is not None else ()

    def discard(self) -> None:
        """Remove the staged Parquet files now (idempotent)."""
        if self.folder is not None:
            self.folder.cleanup()


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
    from analysis.ingest.csv_chunks import CHUNK_BYTES
    from analysis.ingest.tabular import check_size, sniff_format
    from analysis.safe_zip import check_workbook

    if not path.exists():
        raise InputError([Problem(name, None, None, "file not found")])
    check_size(path, name)
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":  # XLSX and ODS are zip archives
            check_workbook(path, name=name)  # every workbook reader, NRM included, is bounded
    kind = kind or detect_kind(path, name)
    if kind == "referrals" and path.stat().st_size > CHUNK_BYTES and sniff_format(path, name) == "csv":
        return stage_referrals_in_chunks(path, name, mapping)
    if kind == "referrals":
        frame = read_referrals(path, mapping, name=name)
    elif kind == "nrm":
        from analysis.ingest.nrm_tables import read_nrm_tables

        frame = read_nrm_tables(path, source_release=release, strict=strict, name=name)
    else:
        raise InputError([Problem(name, None, None, f"unknown kind '{kind}' (referrals or nrm)")])
    return StagedFile(path, name, kind, content_hash(path), frame)


def stage_referrals_in_chunks(path: Path, name: str | None = None, mapping=None, *,
                              chunk_bytes: int | None = None) -> StagedFile:
    """Validate a large CSV extract a block at a time into Parquet files, holding one block
    in memory; raise the InputError :func:`read_referrals` would raise on the whole file.

    Every row's (row, agency, record_id) is kept too, and repeats over the whole file are
    found in DuckDB (bounded memory, spilling to the staging folder)."""
    import duckdb

    from analysis.ingest.csv_chunks import CHUNK_BYTES
    from analysis.ingest.referral_chunks import REPEATED_KEYS_SQL, ReferralChunks
    from analysis.store.store import REFERRAL_COLUMNS

    name = name or path.name
    folder = tempfile.TemporaryDirectory(prefix="darkfigure-stage-")  # owner-only (0700)
    try:
        staging = Path(folder.name)
        reader = ReferralChunks(path, mapping, name=name, chunk_bytes=chunk_bytes or CHUNK_BYTES)
        parts, keys = [], []
        for number, (block_keys, valid) in enumerate(reader):
            keys.append(staging / f"keys-{number:05d}.parquet")
            block_keys.to_parquet(keys[-1], index=False)
            if valid is not None:
                parts.append(staging / f"rows-{number:05d}.parquet")
                valid[REFERRAL_COLUMNS].to_parquet(parts[-1], index=False)
        repeated, total = None, 0
        if keys:
            with duckdb.connect() as con:
                con.execute("SET memory_limit = '1GB'")
                con.execute("SET temp_directory = ?", [str(staging / "spill")])
                repeated = con.execute(REPEATED_KEYS_SQL, {"files": [str(k) for k in keys]}).df()
            total = int(repeated["total"].iloc[0]) if len(repeated) else 0
        reader.finish(repeated, total)
        for key_file in keys:
            key_file.unlink()
    except BaseException:
        folder.cleanup()
        raise
    return StagedFile(path, name, "referrals", content_hash(path), None, tuple(parts),
                      reader.rows, folder)


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks: the identity of a load."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
