import json
import math

import pytest

from analysis.results import Estimate, estimates_to_frame, format_number


def test_estimate_row_has_method_level_and_assumptions():
    e = Estimate("ratio", 0.5, 0.4, 0.6, alpha=0.1, method="m", assumptions=("a1", "a2"))
    row = e.to_frame().iloc[0]
    assert row["confidence_level"] == pytest.approx(0.9)
    assert row["method"] == "m" and row["assumptions"] == "a1; a2"


def test_interval_must_contain_value():
    with pytest.raises(ValueError):
        Estimate("bad", 5, 6, 7)


def test_as_dict_is_json_safe_with_infinite_bound():
    d = Estimate("r", 1.0, 0.0, math.inf).as_dict()
    assert json.loads(json.dumps(d))["upper"] is None


def test_frame_stacks_rows_and_summary_names_kind():
    frame = estimates_to_frame([Estimate("a", 1, 0, 2, interval_kind="scenario envelope")])
    assert frame["interval_kind"].tolist() == ["scenario envelope"]
    assert "scenario envelope 0 to 2" in Estimate("a", 1, 0, 2,
                                                  interval_kind="scenario envelope").summary()
    assert format_number(1234.4) == "1,234"
