"""A large CSV is validated and loaded a block at a time: same rows, same problems, same
guarantees as the whole-file path (analysis/ingest/csv_chunks.py, referral_chunks.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.config import SAMPLE_DIR
from analysis.errors import InputError
from analysis.ingest import csv_chunks
from analysis.ingest.referrals import MAX_PROBLEMS, Mapping, read_referrals
from analysis.store import Store
from analysis.store.staging import stage_referrals_in_chunks
from tests.test_bad_input import GOOD_ROW, HEADER, MAPPING, fingerprint, write_csv

SMALL_BLOCK = 1024  # bytes: a few dozen records a block, so every file here spans many


def _rows(n: int) -> list[list[str]]:
    return [[f"R{i}", *GOOD_ROW[1:]] for i in range(1, n + 1)]


def _whole_problems(path, mapping) -> list:
    with pytest.raises(InputError) as caught:
        read_referrals(path, mapping)
    return caught.value.problems


def _chunked_problems(path, mapping, block: int = SMALL_BLOCK) -> list:
    with pytest.raises(InputError) as caught:
        stage_referrals_in_chunks(path, path.name, mapping, chunk_bytes=block)
    return caught.value.problems


def test_sample_extracts_in_blocks_store_the_same_rows(tmp_path, monkeypatch):
    paths = sorted((SAMPLE_DIR / "agencies").glob("*.csv"))
    whole = tmp_path / "whole.duckdb"
    with Store(whole) as store:
        plain = store.ingest(paths, kind="referrals")
    police = next(p for p in paths if "police" in p.name)  # cp1252, declared in its mapping
    staged = stage_referrals_in_chunks(police, police.name, chunk_bytes=SMALL_BLOCK)
    assert len(staged.parts) > 10
    staged.discard()
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", 8 * SMALL_BLOCK)  # every file is "large" now
    blocks = tmp_path / "blocks.duckdb"
    with Store(blocks) as store:
        chunked = store.ingest(paths, kind="referrals")
    assert [(r.rows, r.rows_new) for r in chunked] == [(r.rows, r.rows_new) for r in plain]
    with Store(whole, read_only=True) as a, Store(blocks, read_only=True) as b:
        pd.testing.assert_frame_equal(a.referrals().drop(columns="load_id"),
                                      b.referrals().drop(columns="load_id"))


def _bad_file(folder):
    rows = _rows(300)
    rows[3][2] = "31/02/2023"          # not a date (block 1)
    rows[40][4] = "Juggling"           # not an allowed value
    rows[120][3] = "E0600001"          # wrong GSS format
    rows[150][9] = "maybe"             # not a yes/no value
    rows[299][0] = "R2"                # repeats R2 of row 3, many blocks apart
    rows[200][0] = "R190"              # repeats a row one block away
    return write_csv(folder, rows)


def test_bad_rows_in_blocks_give_the_same_problems(tmp_path):
    path = _bad_file(tmp_path)
    mapping = Mapping(**MAPPING)
    expected = _whole_problems(path, mapping)
    assert any("appears more than once" in p.reason for p in expected)
    assert _chunked_problems(path, mapping) == expected


def test_rows_that_do_not_line_up_and_blank_lines_keep_their_row_numbers(tmp_path):
    lines = [",".join(HEADER)] + [",".join(r) for r in _rows(200)]
    lines[50] = lines[50] + ",extra"   # file row 51 has one cell too many
    lines.insert(120, "")              # a blank line: later rows move down one
    lines[170] = lines[170] + ",x,y"
    path = tmp_path / "extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = Mapping(**MAPPING)
    expected = _whole_problems(path, mapping)
    assert [p.row for p in expected] == [51, 171]
    assert _chunked_problems(path, mapping) == expected


def test_blank_lines_and_quoted_line_breaks_number_rows_as_the_whole_file_does(tmp_path):
    rows = _rows(150)
    rows[10][5] = '"Car\nwash"'        # a quoted cell over two lines is one row
    rows[90][4] = "Juggling"
    rows[140][2] = "99/99/2023"
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    lines.insert(60, "   ")            # a blank (whitespace) line counts as a row
    path = tmp_path / "extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = Mapping(**MAPPING)
    expected = _whole_problems(path, mapping)
    assert _chunked_problems(path, mapping) == expected


def test_problems_beyond_the_cap_are_counted_the_same(tmp_path):
    rows = _rows(MAX_PROBLEMS + 300)
    for row in rows[5:]:
        row[4] = "Juggling"
    path = write_csv(tmp_path, rows)
    mapping = Mapping(**MAPPING)
    expected = _whole_problems(path, mapping)
    assert len(expected) == MAX_PROBLEMS + 1 and "more problem(s)" in expected[-1].reason
    assert _chunked_problems(path, mapping, 16 * SMALL_BLOCK) == expected


def test_a_failed_load_in_blocks_changes_nothing_and_a_reload_adds_nothing(tmp_path, monkeypatch):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "test.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", SMALL_BLOCK)
    store_path = tmp_path / "store.duckdb"
    good = write_csv(tmp_path, _rows(200), name="extract_good.csv")
    with Store(store_path) as store:
        (first,) = store.ingest([good])
    assert first.rows_new == 200
    before = fingerprint(store_path)
    bad = _bad_file(tmp_path)
    with Store(store_path) as store, pytest.raises(InputError):
        store.ingest([bad])
    assert fingerprint(store_path) == before
    with Store(store_path) as store:
        (again,) = store.ingest([good])
    assert again.skipped and fingerprint(store_path) == before


def test_staged_blocks_are_removed_after_the_load(tmp_path):
    path = write_csv(tmp_path, _rows(200))
    staged = stage_referrals_in_chunks(path, path.name, Mapping(**MAPPING), chunk_bytes=SMALL_BLOCK)
    folder = staged.parts[0].parent
    assert folder.stat().st_mode & 0o077 == 0  # owner-only: these are records
    with Store(tmp_path / "s.duckdb") as store:
        store.write([staged])
    staged.discard()
    assert not folder.exists()
