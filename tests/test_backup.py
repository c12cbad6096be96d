"""Backup to Parquet and restore (analysis/backup.py, darkfigure backup/restore)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

from analysis.backup import backup_store, read_manifest, restore_store, table_counts
from analysis.cli import main
from analysis.errors import DarkFigureError

DDL = """
CREATE SEQUENCE load_seq START 1;
CREATE TABLE loads(load_id INTEGER PRIMARY KEY DEFAULT nextval('load_seq'),
                   file_name VARCHAR NOT NULL, loaded_at TIMESTAMP, rows BIGINT);
CREATE TABLE referrals(record_id VARCHAR PRIMARY KEY, load_id INTEGER REFERENCES loads(load_id),
                       referral_date DATE, area_code VARCHAR, nrm_referred BOOLEAN,
                       weight DECIMAL(9, 3), tags VARCHAR[], score DOUBLE);
CREATE VIEW referrals_by_area AS SELECT area_code, count(*) AS n FROM referrals GROUP BY 1;
CREATE SCHEMA reference;
CREATE TABLE reference.populations(area_code VARCHAR, population BIGINT);
"""


def _make_store(path, n: int = 500):
    con = duckdb.connect(str(path))
    con.execute(DDL)
    con.execute("INSERT INTO loads(file_name, loaded_at, rows) VALUES "
                "('police;é.csv', TIMESTAMP '2024-01-02 03:04:05.123456', ?), "
                "('=cmd|x.xlsx', NULL, 0)", [n])
    con.execute(f"""INSERT INTO referrals SELECT 'R' || i, 1, DATE '2019-01-01' + i::INTEGER,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'E0600001' || (i % 2 + 6) END, i % 2 = 0,
        i / 7.0, CASE WHEN i % 5 = 0 THEN NULL ELSE ['labour', 'ünïcode'] END,
        CASE WHEN i % 11 = 0 THEN 'NaN'::DOUBLE ELSE i * 0.1 END FROM range({n}) t(i)""")
    con.execute("INSERT INTO reference.populations VALUES ('E06000016', 368600), ('x', NULL)")
    con.close()


def _dump(path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
                for name in table_counts(con)}
    finally:
        con.close()


@pytest.fixture(autouse=True)
def server_key(tmp_path, monkeypatch):
    """Backups are signed with the server's key: a key of this test's own."""
    key = tmp_path / "secret_key"
    monkeypatch.setenv("DARKFIGURE_SECRET_KEY_FILE", str(key))
    return key


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store.duckdb"
    _make_store(path)
    return path


def test_round_trip_gives_back_every_table_row_for_row(store, tmp_path):
    backup = backup_store(store, tmp_path / "backup")
    manifest = read_manifest(backup)
    assert manifest["tables"] == {"main.loads": 2, "main.referrals": 500,
                                  "reference.populations": 2}
    assert any(name.endswith(".parquet") for name in manifest["files"])
    shutil.move(backup, tmp_path / "moved")  # a backup can be copied elsewhere and still work
    counts = restore_store(tmp_path / "moved", tmp_path / "restored.duckdb")
    assert counts == manifest["tables"]
    before, after = _dump(store), _dump(tmp_path / "restored.duckdb")
    assert after.keys() == before.keys()
    for table in before:  # NaN != NaN, so compare reprs
        assert repr(after[table]) == repr(before[table]), table
    row = after["main.referrals"][0]
    assert isinstance(row[5], Decimal) and row[6] in (None, ["labour", "ünïcode"])


def test_restored_store_keeps_keys_sequences_and_views(store, tmp_path):
    restore_store(backup_store(store, tmp_path / "b"), tmp_path / "r.duckdb")
    con = duckdb.connect(str(tmp_path / "r.duckdb"))
    con.execute("INSERT INTO loads(file_name) VALUES ('next.csv')")
    assert con.execute("SELECT max(load_id) FROM loads").fetchone()[0] == 3
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO referrals(record_id) VALUES ('R1')")
    assert con.execute("SELECT sum(n) FROM referrals_by_area").fetchone()[0] == 500
    con.close()


def test_sample_store_round_trips_every_table(tmp_path, request):
    try:
        source = request.getfixturevalue("sample_store")
    except pytest.FixtureLookupError:
        pytest.skip("no sample_store fixture yet (analysis.store has not landed)")
    restore_store(backup_store(source, tmp_path / "b"), tmp_path / "r.duckdb")
    before, after = _dump(source), _dump(tmp_path / "r.duckdb")
    assert len(before) >= 3 and repr(after) == repr(before)


def test_restore_refuses_to_replace_a_store_unless_forced(store, tmp_path):
    backup = backup_store(store, tmp_path / "b")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE keep AS SELECT 42 AS x").close()
    with pytest.raises(DarkFigureError, match="already exists"):
        restore_store(backup, other)
    assert _dump(other) == {"main.keep": [(42,)]}
    restore_store(backup, other, force=True)
    assert "main.keep" not in _dump(other) and len(_dump(other)["main.referrals"]) == 500


def test_damaged_backup_is_refused_and_changes_nothing(store, tmp_path):
    backup = backup_store(store, tmp_path / "b")
    parquet = next(p for p in backup.iterdir() if p.suffix == ".parquet")
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    target = tmp_path / "target.duckdb"
    with pytest.raises(DarkFigureError, match="damaged"):
        restore_store(backup, target)
    assert not target.exists()
    (backup / parquet.name).unlink()
    with pytest.raises(DarkFigureError, match="missing"):
        restore_store(backup, target)


def test_backup_refuses_a_folder_in_use_and_a_missing_store(store, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x.txt").write_text("keep me")
    with pytest.raises(DarkFigureError, match="already holds files"):
        backup_store(store, tmp_path / "used")
    with pytest.raises(DarkFigureError, match="No store"):
        backup_store(tmp_path / "absent.duckdb", tmp_path / "b")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_store_held_by_a_writer_process_gives_a_clear_error(store, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DarkFigureError, match="in use by another process"):
            backup_store(store, tmp_path / "b")
        backup = tmp_path / "ok"
        holder.communicate("")  # the writer finishes
        backup_store(store, backup)
        with pytest.raises(DarkFigureError, match="already exists"):
            restore_store(backup, store)
    finally:
        holder.kill()
        holder.wait()


def test_cli_backup_and_restore(store, tmp_path, capsys):
    assert main(["backup", "--store", str(store), "--out", str(tmp_path / "b")]) == 0
    assert "main.referrals: 500 rows" in capsys.readouterr().out
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["tables"]
    assert main(["restore", str(tmp_path / "b"), "--store", str(store)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "b"), "--store", str(tmp_path / "new.duckdb")]) == 0
    assert repr(_dump(tmp_path / "new.duckdb")) == repr(_dump(store))
