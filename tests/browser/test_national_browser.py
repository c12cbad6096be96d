"""The analyst's quarterly routine in a real browser: load a release with a new quarter, and the
National page shows it.

The store starts with the bundled national figures minus the 2023 Q4 police first-responder
table (a copy of data/reference with those rows removed, so 2023 Q3 is the newest police
quarter). The 2023 Q4 release re-typeset from the published figures (data/sample/nrm) is then
loaded with `darkfigure ingest` while the dashboard runs. Expected values are the published
Leicestershire Police figures (data/reference/README.md: 17, 9, 20, 21, 25, 24, 15).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.config import REFERENCE_DIR, SAMPLE_DIR
from analysis.ingest.nrm_reference import POLICE_FILE
from tests.browser.conftest import free_port
from tests.browser.test_dashboard_browser import visit

pytestmark = pytest.mark.browser

Q4_2023 = SAMPLE_DIR / "nrm" / "national-referral-mechanism-statistics-uk-quarter-4-2023-oct-to-dec-tables.ods"


@pytest.fixture(scope="module")
def store_before_q4(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference-to-2023q3")
    for source in REFERENCE_DIR.glob("*.csv"):
        shutil.copy(source, folder / source.name)
    police = pd.read_csv(REFERENCE_DIR / POLICE_FILE)
    police[~((police.year == 2023) & (police.quarter == "Q4"))].to_csv(folder / POLICE_FILE,
                                                                       index=False)
    # kept for the whole module: every writable open tops up the bundled figures, and the
    # 2023 Q4 police quarter must come from the release, not from data/reference
    patch = pytest.MonkeyPatch()
    patch.setattr("analysis.ingest.nrm_reference.REFERENCE_DIR", folder)
    from analysis.store import Store

    path = tmp_path_factory.mktemp("national-store") / "darkfigure.duckdb"
    with Store(path):
        pass  # first run: the bundled national figures (to 2023 Q3 for police) are loaded
    yield path
    patch.undo()


@pytest.fixture(scope="module")
def duo(request, require_browser, store_before_q4, tmp_path_factory):
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite

    from dashboard.app import create_app

    with ThreadedRunner() as server, DashComposite(
        server=server, browser="Chrome", headless=request.config.getoption("headless"),
        options=request.config.hook.pytest_setup_options(),
    ) as composite:
        composite.driver.set_script_timeout(60)
        composite.start_server(create_app(store_before_q4), port=free_port())
        yield composite


def _text(duo, element_id: str) -> str:
    return duo.driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : '';",
        element_id)


def _figure_title(duo, graph_id: str) -> str:
    return duo.driver.execute_script(
        "const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return g && g.layout.title ? g.layout.title.text : '';", graph_id)


def test_loading_a_release_with_a_new_quarter_shows_it_on_the_national_page(
        duo, store_before_q4, capsys):
    from analysis.cli import main

    visit(duo, "/national")
    assert "2022 Q2 to 2023 Q3" in _text(duo, "national-forces-title")
    assert "2022 Q2 to 2023 Q3" in _figure_title(duo, "national-funnel-graph")
    assert "made 116 NRM referrals over 6 quarters" in _text(duo, "national-forces-summary")

    assert main(["ingest", str(Q4_2023), "--store", str(store_before_q4)]) == 0
    out = capsys.readouterr().out
    assert "read Table_13 as first_responder:police: " in out

    visit(duo, "/national")
    assert "2022 Q2 to 2023 Q4" in _text(duo, "national-forces-title")
    assert "2022 Q2 to 2023 Q4" in _figure_title(duo, "national-funnel-graph")
    assert "2022 Q2 to 2023 Q4" in _figure_title(duo, "national-forces-graph")
    assert "made 131 NRM referrals over 7 quarters" in _text(duo, "national-forces-summary")
    assert duo.get_logs() == []
    from analysis.store import Store

    with Store(store_before_q4, read_only=True) as store:
        loads = store.loads().set_index("load_id")
        police = store.nrm_counts().query("period == '2023Q4' and first_responder_type == "
                                          "'police' and first_responder == 'Leicestershire Police'"
                                          " and exploitation_type == 'all' and age_group == 'all'")
    assert police["count"].tolist() == [15]
    assert loads.loc[police["load_id"].item(), "file_name"] == Q4_2023.name
