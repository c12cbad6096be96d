import pandas as pd
import pytest

from analysis.errors import DarkFigureError
from analysis.periods import parse_period_range, quarter_end, quarter_of, quarter_range


def test_quarter_boundaries():
    dates = pd.Series(pd.to_datetime(["2023-03-31", "2023-04-01", "2023-12-31", None]))
    assert quarter_of(dates).tolist()[:3] == ["2023Q1", "2023Q2", "2023Q4"]
    assert pd.isna(quarter_of(dates).iloc[3])
    assert quarter_end("2024Q1") == pd.Timestamp("2024-03-31")  # leap year


def test_period_range_forms():
    assert parse_period_range("2023q1:") == ("2023Q1", None)
    assert parse_period_range("2023Q2") == ("2023Q2", "2023Q2")
    assert parse_period_range(None) == (None, None)
    assert len(quarter_range("2019Q1", "2025Q4")) == 28


@pytest.mark.parametrize("text", ["2023Q5", "2023-01:2023-03", "2024Q1:2023Q1"])
def test_bad_periods_are_clear_errors(text):
    with pytest.raises(DarkFigureError):
        parse_period_range(text)
