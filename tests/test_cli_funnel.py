"""`darkfigure funnel` on the sample store: text, JSON, filters and clear errors."""

from __future__ import annotations

import json

from analysis.cli import main


def test_funnel_json_carries_protected_counts_and_intervals(sample_store, capsys):
    assert main(["funnel", "--store", str(sample_store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["area_code"] == "E23000021" and out["interval"] == "Wilson 95%"
    overall = {r["stage"]: r for r in out["stages"] if r["cohort"] == "all"}
    assert overall["detected"]["count"] >= overall["nrm_referred"]["count"]
    assert overall["crime_recorded"]["count"] >= overall["charged"]["count"] > 0
    charged = overall["charged"]
    assert charged["lower"] < charged["rate"] < charged["upper"]
    hidden = [r for r in out["stages"] if r["count"] == "[c]"]
    assert hidden and all(r["rate"] is None for r in hidden)     # small counts withheld
    assert all(r["secondary"] for r in out["national"])


def test_funnel_text_for_a_district_and_period(sample_store, capsys):
    code = main(["funnel", "--store", str(sample_store), "--area", "E06000016",
                 "--period", "2023Q1:2024Q4", "--police-only"])
    text = capsys.readouterr().out
    assert code == 0
    assert "E06000016, detected 2023Q1:2024Q4 (police-detected people)" in text
    assert "Charged or summonsed" in text and "SECONDARY" in text


def test_funnel_bad_area_and_follow_up_are_clear_errors(sample_store, capsys):
    assert main(["funnel", "--store", str(sample_store), "--area", "X1"]) != 0
    assert "unknown area 'X1'" in capsys.readouterr().err
    assert main(["funnel", "--store", str(sample_store), "--follow-up", "0"]) != 0
    assert "follow-up" in capsys.readouterr().err


def test_funnel_prints_the_pages_numbers_and_exact_counts_only_when_asked(sample_store, capsys):
    from dashboard.pages import justice
    from dashboard.state import ViewState

    assert main(["funnel", "--store", str(sample_store), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    page = justice.justice_result(sample_store, ViewState()).as_dict()
    assert shown["stages"] == json.loads(json.dumps(page["stages"], default=str))
    assert shown["counts"].startswith("protected")
    assert main(["funnel", "--store", str(sample_store), "--json", "--exact"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert exact["counts"].startswith("exact") and "[c]" not in json.dumps(exact["stages"])
    assert exact["stages"] != shown["stages"]
