"""`darkfigure estimate` on the sample store and on the national public figures."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.store import Store

LEICS = "E23000021"


def _run(capsys, *argv) -> dict:
    assert main(["estimate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_area_headline_counts_distinct_people(sample_store, capsys):
    out = _run(capsys, "--store", str(sample_store), "--area", LEICS,
               "--period", "2022Q1:2023Q4")
    for key in ("expected", "detected", "detection_ratio", "gap", "trend", "assumptions"):
        assert key in out
    with Store(sample_store, read_only=True) as store:
        r = store.referrals(start="2022Q1", end="2023Q4")
    r = r[r["area_code"].str.match(r"E0(6000016|6000017|700013[0-5]|7000129)")]
    people = r["person_key"].dropna().nunique() + int(r["person_key"].isna().sum())
    assert out["detected"] == people
    ratio = out["detection_ratio"]
    assert ratio["lower"] <= ratio["value"] <= ratio["upper"]
    assert ratio["value"] == pytest.approx(people / out["expected"]["value"])
    assert out["trend"]["lower"] < out["trend"]["value"] < out["trend"]["upper"]
    assert out["period"] == "2022Q1:2023Q4" and out["quarters"] == 8


def test_short_period_skips_trend_and_text_output(sample_store, capsys):
    assert main(["estimate", "--store", str(sample_store), "--period", "2023Q1:2023Q2"]) == 0
    text = capsys.readouterr().out
    assert "detection ratio" in text and "trend:               skipped" in text
    assert "at least 4 needed" in text and "Assumptions:" in text


def test_national_2023(capsys):
    out = _run(capsys, "--national", "--period", "2023Q1:2023Q4", "--scenario", "gsi_2023",
               "--duration", "2")
    assert out["detected"] == 4746 + 3998 + 4131 + 4142 == 17017  # first published in the data
    assert out["expected"]["value"] == pytest.approx(122_000 / 2)
    assert out["area_code"] == "K02000001"


def test_bad_area_exits_2(sample_store, capsys):
    assert main(["estimate", "--store", str(sample_store), "--area", "S92000003"]) == 2
    assert "unknown area" in capsys.readouterr().err
