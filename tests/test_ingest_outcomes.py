"""Police crime-outcome columns: mapped, validated with clear errors, stored, migrated."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.ingest import read_referrals
from analysis.schema import OUTCOME_CODES, OUTCOME_GROUP_OF, OUTCOME_GROUPS
from analysis.store import Store

HEADER = ["Ref", "Date", "Type", "Sector", "Age", "NRM", "NRM Date", "Recorded", "CRN",
          "Offence", "Outcome", "Outcome Date"]
GOOD = ["P1", "05/03/2023", "labour", "care", "adult", "Y", "09/03/2023", "Y", "CR/1",
        "MSA s2", "Outcome 01", "01/09/2023"]
MAPPING = {
    "agency": "Test Police", "agency_type": "police", "file_pattern": "police*",
    "columns": {"Ref": "record_id", "Date": "referral_date", "Type": "exploitation_type",
                "Sector": "sector", "Age": "age_group", "NRM": "nrm_referred",
                "NRM Date": "nrm_referral_date", "Recorded": "crime_recorded",
                "CRN": "crime_reference", "Offence": "offence_group", "Outcome": "outcome_code",
                "Outcome Date": "outcome_date"},
    "values": {"offence_group": {"MSA s2": "human_trafficking"}},
    "date_format": "%d/%m/%Y",
}


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "police.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    return tmp_path


def _write(folder, rows, name="police_extract.csv"):
    path = folder / name
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _row(**changes):
    row = dict(zip(HEADER, GOOD, strict=True))
    row.update(changes)
    return [row[h] for h in HEADER]


def _problems(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_referrals(path)
    return [str(p) for p in caught.value.problems]


def test_outcome_columns_are_mapped_and_typed(folder):
    frame = read_referrals(_write(folder, [_row(), _row(Ref="P2", Outcome="", **{
        "Outcome Date": "", "NRM": "N", "NRM Date": ""})]))
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["outcome_code"] == "1" and first["offence_group"] == "human_trafficking"
    assert first["outcome_date"].isoformat()[:10] == "2023-09-01"
    assert first["nrm_referral_date"].isoformat()[:10] == "2023-03-09"
    assert bool(first["crime_recorded"]) and first["crime_reference"] == "CR/1"
    assert pd.isna(second["outcome_code"]) and pd.isna(second["outcome_date"])
    assert not second["nrm_referred"] and pd.isna(second["nrm_referral_date"])


def test_outcome_framework_has_codes_1_to_22_each_in_one_group():
    assert {str(i) for i in range(1, 23)} | {"1A"} == set(OUTCOME_CODES)
    assert len(OUTCOME_CODES) == len(set(OUTCOME_CODES))
    assert OUTCOME_GROUP_OF["1"] == "charged_summonsed" and OUTCOME_GROUP_OF["8"] == "out_of_court_informal"
    assert set(OUTCOME_GROUP_OF.values()) == set(OUTCOME_GROUPS)


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"Outcome": "23"}, "Outcome -> outcome_code", "not a Home Office crime outcome type"),
    ({"Outcome": "charged"}, "Outcome -> outcome_code", "not a Home Office crime outcome type"),
    ({"Outcome Date": "01/01/2023"}, "Outcome Date -> outcome_date",
     "outcome date is before the date the person was referred"),
    ({"Recorded": "N", "CRN": ""}, "Outcome -> outcome_code",
     "an outcome is given but the crime is not recorded"),
    ({"Outcome Date": ""}, "Outcome Date -> outcome_date",
     "outcome type and outcome date must both be given"),
    ({"NRM": "N"}, "NRM Date -> nrm_referral_date", "an NRM referral date is given but"),
    ({"NRM Date": "31/02/2023"}, "NRM Date -> nrm_referral_date", "not a valid date"),
    ({"NRM Date": "01/01/2008"}, "NRM Date -> nrm_referral_date", "before the NRM began"),
    ({"Outcome Date": "01/01/2999"}, "Outcome Date -> outcome_date", "date is in the future"),
    ({"Recorded": "perhaps"}, "Recorded -> crime_recorded", "not a yes/no value"),
    ({"Offence": "Burglary"}, "Offence -> offence_group", "not one of the allowed values"),
    ({"Recorded": "N", "Outcome": "", "Outcome Date": ""}, "CRN -> crime_reference",
     "a crime reference is given but the crime is not recorded"),
])
def test_bad_outcome_values_name_row_column_and_reason(folder, changes, column, reason):
    problems = _problems(_write(folder, [_row(), _row(Ref="P2", **changes)]))
    assert any(f"row 3, column '{column}'" in p and reason in p for p in problems), problems
    assert not any("row 2" in p for p in problems)


def test_bad_outcome_file_changes_nothing_stored_and_a_good_reload_adds_nothing(folder):
    store_path = folder / "store.duckdb"
    good = _write(folder, [_row(), _row(Ref="P2")])
    assert main(["ingest", str(good), "--store", str(store_path)]) == 0
    bad = _write(folder, [_row(), _row(Ref="P3", Outcome="99")], name="police_bad.csv")
    assert main(["ingest", str(bad), "--store", str(store_path)]) != 0
    assert main(["ingest", str(good), "--store", str(store_path)]) == 0
    with Store(store_path, read_only=True) as store:
        stored = store.referrals()
    assert sorted(stored["record_id"]) == ["P1", "P2"]
    assert stored["outcome_code"].tolist() == ["1", "1"]
    assert str(stored["outcome_date"].iloc[0])[:10] == "2023-09-01"


def test_a_store_made_before_the_outcome_columns_gains_them_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store(path):
        pass
    con = duckdb.connect(str(path))
    for column in ("crime_recorded", "crime_reference", "offence_group", "outcome_code",
                   "outcome_date", "nrm_referral_date"):
        con.execute(f"ALTER TABLE referrals DROP COLUMN {column}")
    con.close()
    with Store(path, read_only=True) as store:      # read-only: readable as it is
        assert "outcome_code" not in store.referrals().columns
    folder = tmp_path / "in"
    (folder / "mappings").mkdir(parents=True)
    (folder / "mappings" / "police.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    assert main(["ingest", str(_write(folder, [_row()])), "--store", str(path)]) == 0
    with Store(path, read_only=True) as store:
        assert store.referrals()["outcome_code"].tolist() == ["1"]
