"""Back up the store to Parquet and restore it, verified by row counts and SHA-256.

A backup is DuckDB's ``EXPORT DATABASE ... (FORMAT parquet)`` (one Parquet file per
table plus ``schema.sql`` and ``load.sql``, so keys, defaults, sequences and views come
back too) and a ``manifest.json`` with every table's row count and every file's SHA-256.
It is written to a hidden folder beside the target and renamed into place at the end, so
an interrupted backup never looks complete. A restore first checks every hash, imports
into a new file beside the store, checks every row count, and only then renames the new
file over the store path; it refuses to replace an existing store unless forced, and
refuses a store another process has open.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analysis.errors import DarkFigureError

MANIFEST = "manifest.json"
FORMAT = "darkfigure-backup"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DarkFigureError(
                f"The store {path} is in use by another process (an ingest or upload?): "
                f"try again when it has finished. ({text.splitlines()[0]})"
            ) from exc
        raise DarkFigureError(f"Cannot open the store {path}: {text.splitlines()[0]}") from exc


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in every base table of the database, by qualified name (``schema.table``)."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal "
        "AND NOT temporary ORDER BY schema_name, table_name"
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}"'
        ).fetchone()[0]
        for schema, table in tables
    }


def backup_store(store_path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Export every table of the store to Parquet in ``out_dir`` with a manifest.

    ``out_dir`` must not exist yet (or be empty). Returns ``out_dir``.

    Examples
    --------
    >>> import duckdb, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> con = duckdb.connect(str(tmp / "s.duckdb"))
    >>> _ = con.execute("CREATE TABLE loads AS SELECT 1 AS load_id, 'a.csv' AS file_name")
    >>> con.close()
    >>> out = backup_store(tmp / "s.duckdb", tmp / "backup")
    >>> json.loads((out / "manifest.json").read_text())["tables"]
    {'main.loads': 1}
    >>> restore_store(out, tmp / "restored.duckdb")
    {'main.loads': 1}
    """
    store_path, out_dir = Path(store_path), Path(out_dir)
    if not store_path.exists():
        raise DarkFigureError(f"No store at {store_path} to back up.")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise DarkFigureError(f"{out_dir} already holds files: choose a new folder.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        con = _connect(store_path, read_only=True)
        try:
            counts = table_counts(con)  # a read-only file cannot change under us
            export_dir = staging / "export"
            con.execute(f"EXPORT DATABASE {_sql_string(export_dir)} (FORMAT parquet)")
        finally:
            con.close()
        files = {p.name: _sha256(p) for p in sorted(export_dir.iterdir())}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": str(store_path),
            "duckdb_version": duckdb.__version__,
            "tables": counts,
            "files": files,
        }
        (export_dir / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(export_dir, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def read_manifest(backup_dir: str | os.PathLike[str]) -> dict:
    """The manifest of a backup, after checking every file against its SHA-256."""
    backup_dir = Path(backup_dir)
    path = backup_dir / MANIFEST
    if not path.exists():
        raise DarkFigureError(f"{backup_dir} is not a Dark Figure backup (no {MANIFEST}).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DarkFigureError(f"The manifest in {backup_dir} is not valid JSON.") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DarkFigureError(f"{backup_dir} is not a version-{FORMAT_VERSION} backup.")
    for name, expected in manifest["files"].items():
        file = backup_dir / name
        if not file.exists():
            raise DarkFigureError(f"The backup is incomplete: {name} is missing.")
        if _sha256(file) != expected:
            raise DarkFigureError(f"The backup is damaged: {name} does not match its SHA-256.")
    return manifest


def restore_store(backup_dir: str | os.PathLike[str], store_path: str | os.PathLike[str], *,
                  force: bool = False) -> dict[str, int]:
    """Rebuild a store from a backup; returns the row count of every table restored.

    Refuses to replace an existing store unless ``force``, and refuses a store that another
    process has open. The store path changes only once the new file is complete and checked.
    """
    backup_dir, store_path = Path(backup_dir), Path(store_path)
    manifest = read_manifest(backup_dir)
    if store_path.exists():
        if not force:
            raise DarkFigureError(
                f"A store already exists at {store_path}: restore elsewhere, or pass --force "
                "to replace it (back it up first)."
            )
        # Opening it for writing proves no other process holds it, and closing it folds any
        # write-ahead log in, so no stale .wal can be replayed into the restored file.
        _connect(store_path, read_only=False).close()
    store_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{store_path.name}-restore-", suffix=".duckdb",
                                    dir=store_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB must create the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"IMPORT DATABASE {_sql_string(backup_dir)}")
            counts = table_counts(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if counts != manifest["tables"]:
            raise DarkFigureError(
                f"The restored tables do not match the backup's manifest: {counts} "
                f"against {manifest['tables']}; the store was not changed."
            )
        os.replace(tmp, store_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return counts
