"""Methods and caveats: sources with dates and licences, every assumption with its value."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import context, data, estimates, provenance
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
        "The headline: new victims",
        "Detected new victims are people whose first-ever record in the store (any agency, any "
        "date, any area) falls in the period and area; records that cannot be linked to a "
        "person count once each. Expected new victims are the national estimate shared out by "
        "resident population and divided by an assumed mean duration of exploitation "
        "(people on one day / years each person stays = people entering a year). Both add up: "
        "four quarters make the year. The default period is the latest four complete quarters.",
    ),
    (
        "Detection ratio and gap",
        "Detected new victims divided by expected: the share of new victims who come to any "
        "agency's notice. Two statements, never mixed: a 95% interval from the count (exact "
        "Poisson, Garwood), at the stated assumption; and the range over assumed durations of 1 "
        "to 5 years, which is not a confidence interval. The gap is expected minus detected; "
        "if the data contradict an assumption the page says so instead of showing a negative "
        "gap. " + RATIO_COLOUR_NOTE,
    ),
    (
        "Left censoring",
        "In the first years of the store's history, people exploited before records began are "
        "detected 'for the first time' and inflate the count of new victims. Periods that start "
        "within one assumed mean duration of the first record are flagged.",
    ),
    (
        "Groups",
        "A detection ratio for a group needs an expected figure for that group. Only exploitation "
        "types have one (UK NRM referral shares, an assumption). Sectors and age groups are shown "
        "as counts and as shares of new victims beside the national NRM mix.",
    ),
    (
        "Funnel plots",
        "Each area's detected/expected ratio against its expected count, with 95% and 99.8% "
        "control limits (Spiegelhalter 2005), widened by an additive random effect when the "
        "areas vary more than chance explains. Areas are not ranked.",
    ),
    (
        "Hidden figure (multiple systems estimation)",
        "When the same person is known to several agencies, the overlaps between the agency lists "
        "indicate how many are known to none. A multiple systems estimate of a window counts "
        "people exploited during that window, so it is compared with the stock at its start plus "
        "the new victims during it, never with the one-day stock.",
    ),
    (
        "Disclosure control",
        "Every count from record-level data goes through the cell-key method (as ONS protected "
        "the Census 2021 table builder): each count is changed by at most 2, the same group of "
        "people always the same way, and a shown count below 5 (including none) is [c]. Totals "
        "are counted on their own, so tables need not add up exactly, and subtracting one "
        "published figure from another does not give back a hidden count. Ratios and rates are "
        "computed from the shown count.",
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
                    html.H2("Scenarios: each national figure as its own row"),
                    html.P(
                        "The headline uses the Global Slavery Index 2023 with the mean duration "
                        "as its stated sensitivity. The other figures are not folded into a "
                        "range: each is converted by what it counts, and flagged when superseded, "
                        "not a prevalence estimate, or contradicted by the NRM counts themselves."
                    ),
                    html.Div(id="methods-scenarios"),
                    data_table(provenance.scenario_catalogue().drop(columns="estimate_id"),
                               "Published UK prevalence estimates"),
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

    @app.callback(Output("methods-scenarios", "children"), Input("filter-state", "data"))
    def show_scenarios(state):
        view = from_dict(state)
        quarters = estimates.view_quarters(context.current().store_path, view)
        from analysis.periods import period_label

        return data_table(
            provenance.scenario_rows(view.area or data.home_area(), len(quarters)),
            f"Expected new victims in {period_label(quarters)} under each national figure")
