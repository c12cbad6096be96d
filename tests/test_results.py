"""The shared Estimate base: interval checks, tidy rows, text and JSON."""

from __future__ import annotations

import json
import math

import pytest

from analysis.results import FRAME_COLUMNS, Estimate, estimates_to_frame, format_number


def test_interval_must_contain_the_value_and_alpha_in_range():
    with pytest.raises(ValueError, match="does not contain"):
        Estimate("x", 5, 6, 7)
    with pytest.raises(ValueError, match="alpha"):
        Estimate("x", 1, 0, 2, alpha=1.5)


def test_to_frame_and_summary():
    e = Estimate("ratio", 0.5, 0.25, 1.0, alpha=0.1, method="m", assumptions=["a", "b"])
    row = e.to_frame().iloc[0]
    assert list(e.to_frame().columns) == list(FRAME_COLUMNS)
    assert row["confidence_level"] == 0.9 and row["assumptions"] == "a; b"
    assert e.summary() == "ratio: 0.5 (90% confidence interval 0.25 to 1) [m]"
    env = Estimate("expected", 100, 50, 200, interval_kind="scenario envelope")
    assert "scenario envelope 50 to 200" in env.summary()


def test_as_dict_is_json_safe():
    d = Estimate("ratio", 1.0, 0.0, math.inf).as_dict()
    assert json.loads(json.dumps(d))["upper"] is None


def test_stack_and_format():
    assert estimates_to_frame([]).empty
    assert len(estimates_to_frame([Estimate("a", 1, 0, 2)] * 3)) == 3
    assert format_number(1234.5) == "1,234" and format_number(float("nan")) == "n/a"
