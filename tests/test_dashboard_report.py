"""The board pack: one PDF page per board view, each with its title, source and date."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata

import pytest

from dashboard.pages import BOARD_PAGES
from dashboard.report_justice import justice_section


@pytest.fixture(scope="module")
def pack(request, tmp_path_factory):
    from analysis.cli import main

    store = tmp_path_factory.mktemp("pack-store") / "darkfigure.duckdb"
    try:
        shutil.copy(request.getfixturevalue("sample_store"), store)
    except pytest.FixtureLookupError:
        pass  # no sample store yet: the pack must still be made (with empty charts)
    out = tmp_path_factory.mktemp("pack") / "pack.pdf"
    assert main(["report", "--out", str(out), "--store", str(store)]) == 0
    return out


def test_pack_has_one_page_per_board_view(pack):
    from pypdf import PdfReader

    reader = PdfReader(pack)
    # The six board views, then the justice section's pages (dashboard.report_justice).
    assert len(BOARD_PAGES) == 6
    assert len(reader.pages) == len(BOARD_PAGES) + len(justice_section()) == 8


def test_every_page_carries_its_title_source_and_date(pack):
    from pypdf import PdfReader

    today = dt.date.today().strftime("%d %B %Y")
    titles = [view.TITLE for view in BOARD_PAGES] + [title for title, _ in justice_section()]
    for page, title in zip(PdfReader(pack).pages, titles, strict=True):
        text = " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        assert title.split(":")[0] in text
        assert "Dark Figure board pack" in text and today in text
        assert "Source" in text or "source" in text


def test_pack_names_the_period_and_never_calls_a_range_over_assumptions_95(pack):
    from pypdf import PdfReader

    pages = [" ".join(unicodedata.normalize("NFKC", p.extract_text()).split())
             for p in PdfReader(pack).pages]
    for text in pages[:len(BOARD_PAGES)]:
        assert "figures for 2025 (2025Q1 to 2025Q4)" in text
        assert "'95%' marks sampling intervals only" in text
    for text in pages[len(BOARD_PAGES):]:  # the justice section follows cohorts over years
        assert "people detected in 2019 to 2025, by year of first detection" in text
    assert not any("Intervals are 95% unless stated" in text for text in pages)
    first = pages[0]
    assert "new victims" in first and "over assumed durations of 1 to 5 years" in first
    assert "95% count interval" in first
