"""Methods and caveats: sources with dates and licences, every assumption with its value."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import provenance
from dashboard.components.page import page_header
from dashboard.components.table import data_table
from dashboard.state import from_dict
from dashboard.theme import RATIO_COLOUR_NOTE

SLUG = "methods"
PATH = "/methods"
TITLE = "Methods and caveats"
NAV_LABEL = "Methods"
IN_NAV = True
BOARD_ORDER = None
CHARTS = ()

METHOD_NOTES = (
    (
        "Expected figure",
        "A national prevalence estimate counts people in modern slavery on one day (a stock). "
        "It is shared out to areas by resident population, then divided by an assumed mean "
        "duration of "
        "exploitation to give expected new cases a year (a flow), the quantity comparable with "
        "referrals. The scenario range and the duration range both widen the interval.",
    ),
    (
        "Detection ratio and gap",
        "Detected referrals divided by the expected flow, with an exact Poisson (Garwood) interval "
        "on the count combined with the expected interval. The gap is expected minus detected. "
        + RATIO_COLOUR_NOTE,
    ),
    (
        "Funnel plots",
        "Each area's observed/expected ratio against its expected count, with 95% and 99.8% "
        "control limits (Spiegelhalter 2005). Areas are not ranked: a league table would mostly "
        "show noise.",
    ),
    (
        "Hidden figure (multiple systems estimation)",
        "When the same person is known to several agencies, the overlaps between the agency lists "
        "indicate how many are known to none (log-linear models as in Silverman 2014 and the "
        "SparseMSE method of Chan, Silverman and Vincent).",
    ),
    (
        "Disclosure control",
        "Counts from record-level data below the threshold are shown as [c] in charts, tables and "
        "downloads, with secondary suppression so a hidden cell cannot be worked out from totals.",
    ),
)


def layout(**_query) -> html.Div:
    notes = [html.Div([html.H3(title), html.P(text)]) for title, text in METHOD_NOTES]
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "How every number on this dashboard is made, what it assumes "
                "and where the published figures come from.",
            ),
            html.Section([html.H2("Methods"), *notes], className="methods-notes"),
            html.Section([html.H2("Assumptions in use"), html.Div(id="methods-assumptions")]),
            html.Section(
                [
                    html.H2("National estimates (scenarios)"),
                    data_table(provenance.scenario_catalogue(), "Published UK prevalence estimates"),
                ]
            ),
            html.Section(
                [
                    html.H2("Sources, dates and licences"),
                    data_table(
                        provenance.reference_sources(),
                        "Reference data shipped with Dark Figure (data/reference/README.md)",
                    ),
                ]
            ),
            html.Section(
                [
                    html.H2("Series breaks and data vintages"),
                    html.P(
                        "Every quarterly NRM release revises earlier quarters; the UK series "
                        "uses one named release per quarter. Table numbers change between "
                        "releases. The police first-responder figures count the force that "
                        "made the referral, not where the exploitation happened."
                    ),
                    data_table(provenance.data_vintages(), "Release used for each span of quarters"),
                ]
            ),
        ]
    )


def register_callbacks(app) -> None:
    @app.callback(Output("methods-assumptions", "children"), Input("filter-state", "data"))
    def show_assumptions(state):
        return data_table(provenance.assumptions_table(from_dict(state).scenario), "Assumptions in use")
