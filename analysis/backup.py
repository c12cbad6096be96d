"""Back up the store to Parquet and restore it, verified by row counts and SHA-256.

A backup is DuckDB's ``EXPORT DATABASE ... (FORMAT parquet)`` (one Parquet file per
table plus ``schema.sql`` and ``load.sql``, so keys, defaults, sequences and views come
back too) and a ``manifest.json`` with every table's row count and every file's SHA-256.
It is written to a hidden folder beside the target and renamed into place at the end, so
an interrupted backup never looks complete. A restore first checks every hash, imports
into a new file beside the store, checks every row count, and only then renames the new
file over the store path; it refuses to replace an existing store unless forced, and
refuses a store another process has open.

The manifest is signed (HMAC-SHA256) with the server's secret key (setting
``secret_key_file``, the key that signs session cookies), and a restore refuses a manifest
whose signature does not match: without the key nobody can edit the hashes and counts to
pass off changed or deleted data, or a rewritten ``schema.sql``/``load.sql`` (which the
import runs). A backup of a Dark Figure store also records its schema version, and its
restore checks every table's columns and types against the store's DDL and every referral
and NRM row against the pandera schemas before the store is replaced. Backups are
owner-only (0600 files in a 0700 folder). To restore on another server, copy the key too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analysis import accounts
from analysis.errors import DarkFigureError
from analysis.private_files import make_private, private_folder

MANIFEST = "manifest.json"
FORMAT = "darkfigure-backup"
FORMAT_VERSION = 2  # 2: signed manifest


def _signature(manifest: dict, key: bytes) -> str:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _is_darkfigure_store(con: duckdb.DuckDBPyConnection) -> bool:
    from analysis.store.database import TABLES

    present = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    return set(TABLES) <= present


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


def backup_store(store_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 key_file: str | os.PathLike[str] | None = None) -> Path:
    """Export every table of the store to Parquet in ``out_dir`` with a signed manifest.

    ``out_dir`` must not exist yet (or be empty). ``key_file`` is the signing key
    (default: setting ``secret_key_file``; made on first use). Returns ``out_dir``.

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
    key = accounts.read_secret_key(key_file)
    private_folder(out_dir.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        con = _connect(store_path, read_only=True)
        try:
            counts = table_counts(con)  # a read-only file cannot change under us
            schema = _is_darkfigure_store(con)
            export_dir = staging / "export"
            con.execute(f"EXPORT DATABASE {_sql_string(export_dir)} (FORMAT parquet)")
        finally:
            con.close()
        for file in export_dir.iterdir():
            make_private(file)
        make_private(export_dir)
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
        if schema:
            from analysis.schema import SCHEMA_VERSION

            manifest["schema_version"] = SCHEMA_VERSION
        manifest["signature"] = _signature(manifest, key)
        (export_dir / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        make_private(export_dir / MANIFEST)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(export_dir, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def read_manifest(backup_dir: str | os.PathLike[str], *,
                  key_file: str | os.PathLike[str] | None = None) -> dict:
    """The manifest of a backup, after checking its signature with the server's key and
    every file against its SHA-256."""
    backup_dir = Path(backup_dir)
    path = backup_dir / MANIFEST
    if not path.exists():
        raise DarkFigureError(f"{backup_dir} is not a Dark Figure backup (no {MANIFEST}).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DarkFigureError(f"The manifest in {backup_dir} is not valid JSON.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DarkFigureError(f"{backup_dir} is not a Dark Figure backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DarkFigureError(f"{backup_dir} is not a version-{FORMAT_VERSION} (signed) backup; "
                              "make a new backup with this version of darkfigure.")
    key = accounts.read_secret_key(key_file)
    signature = manifest.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(
            signature, _signature(manifest, key)):
        raise DarkFigureError(
            f"The manifest in {backup_dir} does not carry this server's signature: it was "
            "changed after the backup was made, or made on a server with another key (copy "
            "that server's secret key file, setting secret_key_file, to restore it). "
            "Nothing was restored.")
    files = manifest.get("files")
    if not isinstance(files, dict) or not {"schema.sql", "load.sql"} <= set(files):
        raise DarkFigureError(f"The manifest in {backup_dir} does not list the backup's files.")
    for name, expected in files.items():
        if Path(name).name != name:
            raise DarkFigureError(f"The manifest in {backup_dir} names a file outside it: {name}")
        file = backup_dir / name
        if not file.exists():
            raise DarkFigureError(f"The backup is incomplete: {name} is missing.")
        if _sha256(file) != expected:
            raise DarkFigureError(f"The backup is damaged: {name} does not match its SHA-256.")
    return manifest


def restore_store(backup_dir: str | os.PathLike[str], store_path: str | os.PathLike[str], *,
                  force: bool = False,
                  key_file: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """Rebuild a store from a backup; returns the row count of every table restored.

    Refuses a backup whose manifest is not signed with this server's key (``key_file``,
    default: setting ``secret_key_file``), refuses to replace an existing store unless
    ``force``, and refuses a store that another process has open. The store path changes
    only once the new file is complete and checked (counts, and for a Dark Figure store
    every table's columns and rows against the schemas).
    """
    backup_dir, store_path = Path(backup_dir), Path(store_path)
    manifest = read_manifest(backup_dir, key_file=key_file)
    if store_path.exists():
        if not force:
            raise DarkFigureError(
                f"A store already exists at {store_path}: restore elsewhere, or pass --force "
                "to replace it (back it up first)."
            )
        # Opening it for writing proves no other process holds it, and closing it folds any
        # write-ahead log in, so no stale .wal can be replayed into the restored file.
        _connect(store_path, read_only=False).close()
    private_folder(store_path.parent)
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
        if "schema_version" in manifest:
            _check_schema(tmp)
        make_private(tmp)
        os.replace(tmp, store_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return counts


def _check_schema(path: Path) -> None:
    """Refuse a restored Dark Figure store whose tables or rows break the schemas."""
    from analysis.schema import NrmCounts, Referrals
    from analysis.store import NRM_COLUMNS, REFERRAL_COLUMNS, Store
    from analysis.store.database import _DDL, TABLES

    def columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
        rows = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                           "WHERE schema_name = 'main' ORDER BY table_name, column_index").fetchall()
        found: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in rows:
            found.setdefault(table, []).append((column, kind))
        return found

    expected_con = duckdb.connect()
    try:
        expected_con.execute(_DDL)
        expected = columns(expected_con)
    finally:
        expected_con.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        restored = columns(con)
    finally:
        con.close()
    for table in TABLES:
        if restored.get(table) != expected[table]:
            raise DarkFigureError(f"The backup's {table} table does not have the store's columns "
                                  "and types; the store was not changed.")
    problems = []
    with Store(path, read_only=True) as store:
        for model, frame, cols in ((Referrals, store.referrals(), REFERRAL_COLUMNS),
                                   (NrmCounts, store.nrm_counts(current_only=False), NRM_COLUMNS)):
            try:
                model.validate(frame[cols], lazy=True)
            except Exception as exc:  # pandera's SchemaErrors, or a type it cannot coerce
                cases = getattr(exc, "failure_cases", None)
                shown = (cases[["column", "check", "failure_case"]].head(5).to_dict("records")
                         if cases is not None else str(exc).splitlines()[0])
                problems.append(f"{model.__name__}: {shown}")
    if problems:
        raise DarkFigureError("The backup holds values the schema forbids, so it was not "
                              f"restored and the store was not changed: {'; '.join(problems)}")
