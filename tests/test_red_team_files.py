"""Red team, round two, on files and the command line: tampered backups (10), file modes
(11), and the newcomer's first hour (empty report, backup OUT_DIR, broken pipe, full disk,
damaged store). Every command runs as `darkfigure` in a subprocess or through main()."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest

from analysis.backup import _signature, backup_store, restore_store
from analysis.cli import main
from analysis.errors import DarkFigureError
from analysis.store import Store
from tests.red_team import referrals_csv

CLI = [sys.executable, "-m", "analysis.cli"]


@pytest.fixture
def key(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "secret_key"
    monkeypatch.setenv("DARKFIGURE_SECRET_KEY_FILE", str(path))
    return path


@pytest.fixture
def store(tmp_path, sample_store):
    path = tmp_path / "store" / "store.duckdb"
    path.parent.mkdir()
    shutil.copy(sample_store, path)
    return path


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _referrals(path) -> int:
    with Store(path, read_only=True) as s:
        return len(s.referrals())


# -- 10. backups -------------------------------------------------------------------------------
def _tamper(backup, *, drop_rows: int = 0, sector: str | None = None, resign_with=None):
    """Change the referrals Parquet, then fix up its hash and count in the manifest (as an
    attacker would), re-signing only if given the key."""
    manifest = json.loads((backup / "manifest.json").read_text())
    name = next(n for n in manifest["files"] if n.startswith("referrals"))
    table = pq.read_table(backup / name)
    if drop_rows:
        table = table.slice(drop_rows)
    if sector is not None:
        frame = table.to_pandas()
        frame.loc[0, "sector"] = sector
        table = type(table).from_pandas(frame, schema=table.schema, preserve_index=False)
    pq.write_table(table, backup / name)
    from analysis.backup import _sha256

    manifest["files"][name] = _sha256(backup / name)
    manifest["tables"]["main.referrals"] = table.num_rows
    if resign_with is not None:
        manifest["signature"] = _signature(manifest, resign_with.read_bytes())
    (backup / "manifest.json").write_text(json.dumps(manifest))


def test_10_deleted_rows_with_a_fixed_up_manifest_do_not_restore(store, key, tmp_path):
    backup = backup_store(store, tmp_path / "backup")
    _tamper(backup, drop_rows=100)
    with pytest.raises(DarkFigureError, match="signature"):
        restore_store(backup, tmp_path / "restored.duckdb")
    assert not (tmp_path / "restored.duckdb").exists()


def test_10_a_backup_from_another_key_is_refused(store, key, tmp_path, monkeypatch):
    backup = backup_store(store, tmp_path / "backup")
    monkeypatch.setenv("DARKFIGURE_SECRET_KEY_FILE", str(tmp_path / "other_key"))
    with pytest.raises(DarkFigureError, match="another key"):
        restore_store(backup, tmp_path / "restored.duckdb")


def test_10_values_the_schema_forbids_do_not_restore_even_when_signed(store, key, tmp_path):
    backup = backup_store(store, tmp_path / "backup")
    _tamper(backup, sector="not-a-sector", resign_with=key)  # e.g. a store damaged before
    target = tmp_path / "restored.duckdb"
    target.write_bytes(b"")  # an existing store is left exactly as it was
    target.unlink()
    shutil.copy(store, target)
    before = target.read_bytes()
    with pytest.raises(DarkFigureError, match="schema forbids"):
        restore_store(backup, target, force=True)
    assert target.read_bytes() == before


def test_10_a_rewritten_load_script_is_refused_before_it_runs(store, key, tmp_path):
    backup = backup_store(store, tmp_path / "backup")
    evil = tmp_path / "evil.csv"
    (backup / "load.sql").write_text(f"COPY (SELECT 1) TO '{evil}';")
    with pytest.raises(DarkFigureError, match="SHA-256|signature"):
        restore_store(backup, tmp_path / "restored.duckdb")
    assert not evil.exists()


def test_10_an_honest_backup_restores_every_row(store, key, tmp_path):
    backup = backup_store(store, tmp_path / "backup")
    counts = restore_store(backup, tmp_path / "restored.duckdb")
    assert counts["main.referrals"] == _referrals(store) == _referrals(tmp_path / "restored.duckdb")


# -- 11. file modes ------------------------------------------------------------------------------
def test_11_store_backups_and_exports_are_owner_only(tmp_path, key, monkeypatch):
    extract = tmp_path / "extract_referrals.csv"
    extract.write_bytes(referrals_csv(50, seed=31))
    store = tmp_path / "new" / "store.duckdb"
    run = {"capture_output": True, "text": True, "timeout": 300, "env": os.environ.copy()}
    result = subprocess.run([*CLI, "ingest", "--store", str(store), str(extract)], **run)
    assert result.returncode == 0, result.stderr
    assert _mode(store) == 0o600 and _mode(store.parent) == 0o700
    result = subprocess.run([*CLI, "backup", str(tmp_path / "backups" / "b1"), "--store",
                             str(store)], **run)  # OUT_DIR as README writes it
    assert result.returncode == 0, result.stderr
    backup = tmp_path / "backups" / "b1"
    assert _mode(backup) == 0o700 and _mode(backup.parent) == 0o700
    assert {_mode(p) for p in backup.iterdir()} == {0o600}
    restored = tmp_path / "restored" / "store.duckdb"
    result = subprocess.run([*CLI, "restore", str(backup), "--store", str(restored)], **run)
    assert result.returncode == 0, result.stderr
    assert _mode(restored) == 0o600 and _mode(restored.parent) == 0o700


def test_11_an_upload_through_the_store_keeps_the_file_owner_only(store, tmp_path):
    os.chmod(store, 0o644)  # a store made by an older version
    extract = tmp_path / "more_referrals.csv"
    extract.write_bytes(referrals_csv(10, seed=32))
    with Store(store) as s:
        s.ingest([extract], kind="referrals")
    assert _mode(store) == 0o600


# -- the newcomer's first hour ---------------------------------------------------------------
def test_report_refuses_a_missing_or_empty_store(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "pack.pdf"), "--store",
                 str(tmp_path / "absent.duckdb")]) == 2
    assert "no store at" in capsys.readouterr().err
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()  # reference tables only
    assert main(["report", "--out", str(tmp_path / "pack.pdf"), "--store", str(empty)]) == 2
    assert "holds no referrals" in capsys.readouterr().err
    assert not (tmp_path / "pack.pdf").exists()


def test_ingest_help_offers_auto_as_a_choice(capsys):
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "{auto,referrals,nrm}" in text and "(default: auto)" in text


def test_a_closed_pipe_is_not_a_traceback(store):
    process = subprocess.Popen([*CLI, "summary", "--store", str(store), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # `| head` that has stopped reading
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert process.returncode in (0, 141)


def test_a_full_disk_is_named_not_buried_in_a_traceback(store):
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        result = subprocess.run([*CLI, "summary", "--store", str(store), "--json"],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 2
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr


def test_a_full_disk_at_commit_rolls_back_and_says_so(store, tmp_path, monkeypatch, capsys):
    extract = tmp_path / "late_referrals.csv"
    extract.write_bytes(referrals_csv(30, seed=33))
    before = _referrals(store)
    real_exec = Store._exec
    commits = []

    def full_at_commit(self, sql, params=None):
        commits.append(sql == "COMMIT")
        if sql == "COMMIT" and sum(commits) > 1:  # opening the store commits first
            raise duckdb.IOException("Could not write file \"store.duckdb.wal\": "
                                     "No space left on device")
        return real_exec(self, sql, params)

    monkeypatch.setattr(Store, "_exec", full_at_commit)
    assert main(["ingest", "--store", str(store), str(extract)]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "unchanged" in err
    monkeypatch.setattr(Store, "_exec", real_exec)
    assert _referrals(store) == before


@pytest.mark.parametrize("command", [["summary"], ["mse"], ["estimate"]])
def test_a_truncated_store_is_one_line_not_a_traceback(store, tmp_path, command):
    damaged = tmp_path / "damaged.duckdb"
    raw = store.read_bytes()
    damaged.write_bytes(raw[: len(raw) // 3])
    result = subprocess.run([*CLI, *command, "--store", str(damaged)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "restore" in result.stderr
