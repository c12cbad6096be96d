from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from analysis.data_dictionary import render_data_dictionary
from analysis.schema import Referrals

DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def _referral(**overrides):
    row = dict(
        record_id="P-1", person_key="a" * 16, agency="Police", agency_type="police",
        referral_date="2023-05-01", area_code="E06000016", exploitation_type="labour",
        sector="car_wash", age_group="adult", sex="male", nationality_group="eu_eea",
        nrm_referred=True,
    )
    row.update(overrides)
    return row


def test_a_valid_referral_passes():
    out = Referrals.validate(pd.DataFrame([_referral()]))
    assert out["referral_date"].iloc[0] == pd.Timestamp("2023-05-01")


@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"agency_type": "army"}, "agency_type"),
        ({"sector": "fishing_fleet"}, "sector"),
        ({"referral_date": "2999-01-01"}, "referral_date"),
        ({"area_code": "Leicester"}, "area_code"),
        ({"person_key": "John Smith"}, "person_key"),
    ],
)
def test_bad_values_are_reported_with_their_column(overrides, column):
    with pytest.raises(pa.errors.SchemaErrors) as info:
        Referrals.validate(pd.DataFrame([_referral(), _referral(record_id="P-2", **overrides)]), lazy=True)
    cases = info.value.failure_cases
    assert column in set(cases["column"].dropna())


def test_duplicate_record_id_within_an_agency_fails_but_across_agencies_is_fine():
    ok = pd.DataFrame([_referral(), _referral(agency="Council", agency_type="local_authority")])
    Referrals.validate(ok)
    with pytest.raises(pa.errors.SchemaErrors):
        Referrals.validate(pd.DataFrame([_referral(), _referral()]), lazy=True)


def test_data_dictionary_in_docs_is_current():
    assert DICTIONARY.read_text(encoding="utf-8") == render_data_dictionary() + "\n"
