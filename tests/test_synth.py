"""The synthetic sample: reproducible, consistent with its truth, and readable with its mappings."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.schema import OUTCOME_COLUMNS, PERSONAL_DATA_COLUMNS, Referrals
from analysis.synth import (
    SAMPLE_SEED,
    SynthConfig,
    expected_stock,
    simulate_detections,
    simulate_population,
    simulate_referrals,
    uniform_agencies,
    write_sample,
)
from analysis.synth.config import LLR_AREAS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

# Census 2021 usual residents (rounded to 100) of the nine districts of the Leicestershire
# police force area, summed: ONS Census 2021 first results; data/reference/README.md.
LLR_CENSUS_2021 = 1_121_800
# Walk Free Global Slavery Index 2023: 122,000 people in the UK, population base 67,886,000.
GSI_2023, GSI_BASE = 122_000, 67_886_000


def read_extract(path: Path, mapping: dict) -> pd.DataFrame:
    """A small local reader: apply a contract mapping to an extract, nothing more."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, sheet_name=mapping["sheet"] or 0, dtype=object,
                            engine="openpyxl")
    else:
        raw = pd.read_csv(path, encoding=mapping["encoding"], sep=mapping["delimiter"],
                          dtype=str, keep_default_na=False, na_values=[""])
    frame = raw.rename(columns=mapping["columns"])
    for column, codes in mapping["values"].items():
        frame[column] = frame[column].map(lambda v, c=codes: c.get(v, v) if pd.notna(v) else v)
    for column in ("referral_date", "outcome_date", "nrm_referral_date"):
        if column in frame:  # the last two: police crime-outcome columns only
            frame[column] = pd.to_datetime(frame[column], format=mapping["date_format"])
    for column in ("agency", "agency_type"):
        if column not in frame:
            frame[column] = mapping[column]
    for column in ("nrm_referred", "crime_recorded"):
        if column in frame:
            frame[column] = frame[column].astype("boolean")
    return frame


def _mappings(sample_dir: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((sample_dir / "mappings").glob("*.json"))]


def _extract_for(sample_dir: Path, mapping: dict) -> Path:
    matches = [p for p in sorted((sample_dir / "agencies").iterdir())
               if fnmatch.fnmatch(p.name, mapping["file_pattern"])]
    assert len(matches) == 1, (mapping["file_pattern"], matches)
    return matches[0]


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample_referrals() -> pd.DataFrame:
    frames = [read_extract(_extract_for(SAMPLE, m), m) for m in _mappings(SAMPLE)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_sample(out, seed=11, scale=0.1)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    write_sample(tmp_path, seed=11, scale=0.1)
    assert _files(tmp_path) == _files(small)


def test_different_seed_gives_different_files(small, tmp_path):
    write_sample(tmp_path, seed=12, scale=0.1)
    again, first = _files(tmp_path), _files(small)
    assert again.keys() == first.keys()
    assert again["truth.json"] != first["truth.json"]
    extracts = [name for name in again if name.startswith("agencies/")]
    # A tiny council may have no records at this scale under either seed (headers only).
    assert sum(again[name] != first[name] for name in extracts) >= len(extracts) - 1


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    write_sample(tmp_path, seed=SAMPLE_SEED)
    committed = {k: v for k, v in _files(SAMPLE).items() if not k.startswith("nrm/")}
    assert committed == _files(tmp_path)


def test_expected_stock_is_the_gsi_figure_scaled_by_census_population():
    table = expected_stock()
    assert table["population"].sum() == LLR_CENSUS_2021
    assert table["expected_stock"].sum() == pytest.approx(GSI_2023 / GSI_BASE * LLR_CENSUS_2021,
                                                          rel=1e-9)
    leicester = table.set_index("area_code").loc["E06000016"]
    others = table[table["area_code"] != "E06000016"]
    assert leicester["rate_multiplier"] / others["rate_multiplier"].iloc[0] == pytest.approx(1.3)


def test_truth_stock_sums_to_the_scaled_national_figure(truth):
    by_area = truth["stock"]["by_area"]
    assert {a["area_code"] for a in by_area} == {code for code, _ in LLR_AREAS}
    total = sum(a["expected_stock"] for a in by_area)
    assert total == pytest.approx(GSI_2023 / GSI_BASE * LLR_CENSUS_2021, abs=0.01)  # ~2,016


def test_realised_stock_and_flow_match_little_law(truth):
    expected = truth["stock"]["expected_total"]
    realised = sum(a["realised_stock_mean_of_quarter_starts"] for a in truth["stock"]["by_area"])
    assert realised == pytest.approx(expected, rel=0.05)
    # Flow = stock / mean duration (2 years) over 7 years; Poisson sd ~ 84.
    assert truth["flow"]["total"] == pytest.approx(expected / 2 * 7, abs=4 * 84)
    by_quarter = truth["flow"]["by_area_quarter"]
    assert sum(sum(q.values()) for q in by_quarter.values()) == truth["flow"]["total"]
    assert sum(truth["flow"]["by_sector"].values()) == truth["flow"]["total"]
    assert (truth["distinct_victims"]["total"]
            == truth["flow"]["total"] + truth["distinct_victims"]["already_exploited_at_start"])


def test_sector_mix_differs_by_area_as_designed():
    victims = simulate_population(seed=3).victims
    share = pd.crosstab(victims["area_code"], victims["sector"], normalize="index")
    city, rural = share.loc["E06000016"], share.loc[["E07000131", "E07000133", "E06000017",
                                                     "E07000134"]].mean()
    for sector in ("garment_manufacturing", "car_wash", "nail_bar", "county_lines"):
        assert city[sector] > 1.5 * rural[sector], sector
    for sector in ("agriculture", "food_processing"):
        assert rural[sector] > 3 * city[sector], sector


def test_exploitation_type_and_age_follow_sector():
    victims = simulate_population(seed=4).victims
    kinds = victims.groupby("sector")["exploitation_type"].agg(lambda s: set(s))
    assert kinds["county_lines"] == {"criminal", "multiple"}
    assert kinds["sex_industry"] == {"sexual", "multiple"}
    assert kinds["domestic"] == {"domestic_servitude", "multiple"}
    assert kinds["agriculture"] == {"labour", "multiple"}
    children = victims[victims["age_group"] == "child"]
    assert children["exploitation_type"].isin(["criminal", "multiple"]).mean() > 0.7


def test_every_extract_validates_against_the_schema_with_its_mapping(sample_referrals, truth):
    validated = Referrals.validate(sample_referrals, lazy=True)
    assert len(validated) == truth["detected"]["records"]
    per_agency = validated.groupby("agency").size().to_dict()
    assert per_agency == {a["agency"]: a["records"] for a in truth["agencies"]}


def test_fresh_sample_extracts_validate_too(small):
    for mapping in _mappings(small):
        Referrals.validate(read_extract(_extract_for(small, mapping), mapping), lazy=True)


def test_records_are_non_trivial_and_overlap_across_agencies(sample_referrals, truth):
    assert sample_referrals["agency_type"].nunique() == 8
    assert len(truth["agencies"]) >= 7
    assert all(a["records"] >= 5 for a in truth["agencies"])
    keyed = sample_referrals.dropna(subset=["person_key"])
    lists_per_key = keyed.groupby("person_key")["agency"].nunique()
    assert (lists_per_key >= 2).sum() > 150
    assert (lists_per_key >= 3).sum() > 20
    assert lists_per_key.size == truth["detected"]["distinct_person_keys"]
    missing = sample_referrals["person_key"].isna().sum()
    assert missing == truth["detected"]["records_without_person_key"] > 0


def test_overall_detection_is_low(truth):
    share_per_year = truth["detected"]["distinct_victims"] / truth["distinct_victims"]["total"]
    assert 0.05 < share_per_year < 0.3      # over seven years: a few per cent a year
    for agency in truth["agencies"]:
        assert agency["detection_probability_mean"] < 0.1


def test_police_records_raise_ngo_detection():
    pop = simulate_population(seed=5)
    records = simulate_detections(pop)
    police = set(records.loc[records["agency_slug"] == "leicestershire_police", "person_id"])
    ngo = set(records.loc[records["agency_slug"] == "freedom_network", "person_id"])
    glaa = set(records.loc[records["agency_slug"] == "glaa", "person_id"])
    ngo_given_police = len(ngo & police) / len(police)
    ngo_given_not_police = len(ngo - police) / (len(pop.victims) - len(police))
    assert ngo_given_police > 5 * ngo_given_not_police
    assert len(glaa & police) / len(police) < 0.15


def test_detection_rises_after_the_awareness_event():
    config = SynthConfig(awareness_rate_ratio=2.0, detection_trend_per_year=1.0)
    pop = simulate_population(config, seed=6)
    records = simulate_detections(pop)
    flat = simulate_detections(simulate_population(replace(config, awareness_rate_ratio=1.0),
                                                   seed=6))

    def after_over_before(r: pd.DataFrame) -> float:
        after = (r["referral_date"] >= "2023-10-01").sum() / 9   # quarters after the event
        return after / ((r["referral_date"] < "2023-10-01").sum() / 19)

    assert after_over_before(records) / after_over_before(flat) == pytest.approx(2.0, rel=0.25)


def test_mse_target_for_the_whole_area_and_window_is_every_victim(truth):
    targets = {(t["area_code"], t["period"]): t for t in truth["mse_targets"]["targets"]}
    whole = targets[("E23000021", "2019Q1:2025Q4")]
    assert whole["true_distinct_victims"] == truth["distinct_victims"]["total"]
    assert whole["observed_distinct_person_keys"] < whole["true_distinct_victims"]
    year = targets[("E06000016", "2023Q1:2023Q4")]
    assert 0 < year["observed_distinct_person_keys"] < year["true_distinct_victims"]


def test_extracts_arrive_in_their_agencies_own_formats():
    police = next((SAMPLE / "agencies").glob("leicestershire_police*.csv")).read_bytes()
    assert "café".encode("cp1252") in police and b";" in police.splitlines()[0]
    with pytest.raises(UnicodeDecodeError):
        police.decode("utf-8")
    boms = [p.name for p in (SAMPLE / "agencies").glob("*.csv")
            if p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert boms
    from openpyxl import load_workbook

    book = load_workbook(next((SAMPLE / "agencies").glob("hmrc*.xlsx")), read_only=True)
    first = next(book.active.iter_rows(min_row=2, max_row=2))
    assert any(cell.is_date for cell in first)
    headers = {json.dumps(sorted(m["columns"])) for m in _mappings(SAMPLE)}
    assert len(headers) == len(_mappings(SAMPLE))     # every agency its own headers


def test_mapping_files_follow_the_contract():
    keys = ["agency", "agency_type", "file_pattern", "columns", "values", "date_format",
            "encoding", "delimiter", "sheet"]
    schema_columns = set(Referrals.to_schema().columns)
    for mapping in _mappings(SAMPLE):
        assert list(mapping) == keys
        assert set(mapping["columns"].values()) <= schema_columns
        # Every column but the optional police crime-outcome ones; the police map those too.
        optional = set() if mapping["agency_type"] == "police" else set(OUTCOME_COLUMNS)
        assert schema_columns - set(mapping["columns"].values()) <= {"agency", "agency_type",
                                                                     *optional}


def test_no_personal_data_columns_in_any_extract():
    for mapping in _mappings(SAMPLE):
        for header in mapping["columns"]:
            normalised = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
            assert normalised not in PERSONAL_DATA_COLUMNS, header


def test_record_ids_are_unique_within_each_agency(sample_referrals):
    assert not sample_referrals.duplicated(["agency", "record_id"]).any()


def test_person_keys_are_truncated_hmac_sha256_hex(sample_referrals):
    keys = sample_referrals["person_key"].dropna()
    assert keys.str.fullmatch(r"[0-9a-f]{32}").all()


def test_simulate_referrals_is_schema_valid_and_reproducible():
    frame = simulate_referrals(10_000, seed=9)
    validated = Referrals.validate(frame, lazy=True)
    assert len(validated) == 10_000
    assert validated["area_code"].nunique() > 300
    assert frame.equals(simulate_referrals(10_000, seed=9))
    assert not frame.equals(simulate_referrals(10_000, seed=10))
    share_missing = frame["person_key"].isna().mean()
    assert share_missing == pytest.approx(0.05, abs=0.01)


def test_synth_command_writes_a_sample(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--seed", "2", "--scale", "0.05",
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert printed["records"] == truth["detected"]["records"]
    assert truth["seed"] == 2 and truth["parameters"]["scale"] == 0.05
    assert (tmp_path / "README.md").read_text(encoding="utf-8").count("synthetic") >= 3


def test_scale_multiplies_the_population():
    small = simulate_population(SynthConfig(scale=0.5), seed=1).victims
    assert len(small) == pytest.approx(0.5 * (2016 + 7 * 1008), rel=0.08)
    assert np.isclose(expected_stock(SynthConfig(scale=0.5))["expected_stock"].sum(), 1008,
                      atol=0.1)


def test_lists_are_independent_without_heterogeneity_or_dependence():
    # Two uniform agencies, no frailty, no direct dependence, no turnover (mean duration
    # 1,000 years): the Chapman estimator (Chapman 1951) must recover the true number.
    config = SynthConfig(frailty_sigma=0, police_to_ngo=0, child_to_council=0,
                         repeat_record_share=0, mean_duration_years=1000,
                         agencies=uniform_agencies(annual_rate=0.15, n=2))
    pop = simulate_population(config, seed=8)
    records = simulate_detections(pop)
    first, second = (set(records.loc[records["agency_type"] == t, "person_id"])
                     for t in ("police", "local_authority"))
    both = len(first & second)
    chapman = (len(first) + 1) * (len(second) + 1) / (both + 1) - 1
    assert chapman == pytest.approx(len(pop.victims), rel=0.05)   # relative sd ~ 1.2%


def test_the_ingest_reader_reads_every_extract_with_its_mapping(truth):
    import analysis.ingest

    read_referrals = getattr(analysis.ingest, "read_referrals", None)
    if read_referrals is None:
        pytest.skip("analysis.ingest.read_referrals has not landed yet")
    counts = {}
    for path in sorted((SAMPLE / "agencies").iterdir()):
        frame = read_referrals(path)
        counts.update(frame.groupby("agency").size().to_dict())
    assert counts == {a["agency"]: a["records"] for a in truth["agencies"]}
