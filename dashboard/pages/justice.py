"""Justice: from detection to a charge. The victim-to-charge funnel for the selected area and
period (``analysis.justice``), stage rates against national figures, cases still open,
outcome groups and the time each stage takes."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, html

from dashboard import context, data
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code as code
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import justice as fig
from dashboard.shared_cache import shared_cache
from dashboard.state import ViewState, from_dict

SLUG = "justice"
PATH = "/justice"
TITLE = "Justice: from detection to charge"
NAV_LABEL = "Justice"
IN_NAV = True
# The pack takes this page through dashboard.report_justice (its own section), so it is not
# one of the board views the pack walks through; in board mode it shows its funnel alone.
BOARD_ORDER = None
SOURCE = fig.JUSTICE_SOURCE


def justice_result(store_path, state: ViewState):
    """The JusticeFunnelResult for the view (area, period, snapshot, disclosure mode), or the
    reason there is none."""
    return _justice_result(data.store_version(store_path), state.area or data.home_area(),
                           state.start, state.end, state.snapshot, data.disclosure_mode(state))


@shared_cache(maxsize=32)
def _justice_result(version, area: str, start: str | None, end: str | None,
                    snapshot: int | None, mode: str):
    from analysis.errors import DarkFigureError
    from analysis.justice import store_justice_funnel

    if version[1] == 0:
        return "No store yet: load data on the Data page."
    try:
        # people, stages and counts found in the database; only small tables come back
        with data.open_store(version) as store:
            return store_justice_funnel(store.connection, area, start=start, end=end,
                                        snapshot=snapshot, mode=mode)
    except DarkFigureError as exc:
        return (f"No referrals for {data.area_name(area)} in this view."
                if str(exc).startswith("no referrals") else str(exc))


def _period(result) -> str:
    """The detection period in words ('2019 to 2025'), not quarter codes."""
    from analysis.periods import period_label, quarter_range

    try:
        return period_label(quarter_range(*result.period.split(":")))
    except (TypeError, ValueError):  # not a FROM:TO range of quarters
        return result.period.replace(":", " to ")


def _code(store_path, state: ViewState, table: str) -> str:
    return code.justice_code(store_path, state, state.area or data.home_area(), table,
                             mode=data.disclosure_mode(state))


def _none(message: str, state: ViewState) -> ChartOutput:
    return ChartOutput(fig.message_figure(message, board=state.board), message, pd.DataFrame())


def _funnel(store_path, state) -> ChartOutput:
    result = justice_result(store_path, state)
    if isinstance(result, str):
        return _none(result, state)
    summary = fig.describe_funnel(result.stages, data.area_name(result.area_code),
                                  _period(result), result.as_of.date().isoformat())
    table = result.stages[result.stages["cohort"] == "all"]
    figure = fig.funnel_chart(result.stages, result.national, board=state.board)
    message = fig.board_message(result.stages, data.area_name(result.area_code).replace(
        " (force area)", ""), _period(result))
    return ChartOutput(figure, summary, table, message=message,
                       code=_code(store_path, state, "funnel"))


def _rates(store_path, state) -> ChartOutput:
    result = justice_result(store_path, state)
    if isinstance(result, str):
        return _none(result, state)
    trends = result.trends.set_index("stage")
    charged = trends.loc["charged"]
    trend = ("too few charges to estimate a trend" if pd.isna(charged["odds_ratio_per_year"])
             else f"odds ratio per year {charged['odds_ratio_per_year']:.2f} "
                  f"({charged['lower']:.2f} to {charged['upper']:.2f}, 95% interval)")
    summary = (f"Rates by year of detection with 95% Wilson intervals; charge rate trend at "
               f"equal follow-up: {trend}. National figures are secondary sources.")
    return ChartOutput(fig.stage_rates(result.stages, result.national, board=state.board),
                       summary, result.stages, code=_code(store_path, state, "rates"))


def _open(store_path, state) -> ChartOutput:
    result = justice_result(store_path, state)
    if isinstance(result, str):
        return _none(result, state)
    overall = result.open[result.open["cohort"] == "all"]
    share = overall["share"].iloc[0] if len(overall) else float("nan")
    summary = (f"{share:.0%} of recorded crimes were still open on "
               f"{result.as_of.date().isoformat()}; cohorts are compared at the same "
               f"follow-up ({result.follow_up_days} days) so recent years are not "
               "penalised for lags." if pd.notna(share) else "No recorded crimes in this view.")
    table = result.open.merge(result.equal_follow_up, on="cohort", how="outer",
                              suffixes=("_open", "_charged_within"))
    return ChartOutput(fig.open_and_follow_up(result.open, result.equal_follow_up,
                                              result.follow_up_days, board=state.board),
                       summary, table, code=_code(store_path, state, "open"))


def _outcomes(store_path, state) -> ChartOutput:
    result = justice_result(store_path, state)
    if isinstance(result, str):
        return _none(result, state)
    summary = ("People with a recorded crime by Home Office outcome group (outcome types in "
               "brackets); 'open' means no outcome yet.")
    return ChartOutput(fig.outcome_groups(result.outcomes, board=state.board), summary,
                       result.outcomes, code=_code(store_path, state, "outcomes"))


def _times(store_path, state) -> ChartOutput:
    result = justice_result(store_path, state)
    if isinstance(result, str):
        return _none(result, state)
    summary = ("Days from first detection: median and quartiles (Kaplan-Meier; open crimes "
               "count as not yet charged). Shown only where enough people reached the stage.")
    return ChartOutput(fig.stage_times(result.times, board=state.board), summary, result.times,
                       code=_code(store_path, state, "times"))


CHARTS = (
    ChartSpec("justice-funnel", "From detection to charge: people at each stage", _funnel),
    ChartSpec("justice-rates", "Stage rates by year of detection, against national figures",
              _rates),
    ChartSpec("justice-open", "Cases still open, and charges at equal follow-up", _open),
    ChartSpec("justice-outcomes", "Outcomes of recorded crimes", _outcomes),
    ChartSpec("justice-times", "How long each stage takes", _times),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div([
        page_header(
            SLUG, TITLE,
            "How many people the partnership detected were referred to the NRM, had a crime "
            "recorded and saw a suspect charged or summonsed, by year of detection. Outcomes "
            "lag: a recent year's charge rate is not final, so the share still open and the "
            "charge rate at equal follow-up are shown beside it.",
        ),
        chart_panel("justice-funnel", CHARTS[0].caption,
                    caption="People first detected in the period. Rates are of the stage "
                    "before (charge: of people with a recorded crime), computed from the "
                    "shown counts, with 95% Wilson intervals. Counts perturbed by up to 2 "
                    "(cell-key method); [c]: below the disclosure threshold."),
        chart_panel("justice-rates", CHARTS[1].caption, board=False,
                    caption="Dotted lines: England and Wales charge rates for modern slavery "
                    "offences as reported from Home Office outcomes data (secondary sources; "
                    "offence-based, not person-based)."),
        chart_panel("justice-open", CHARTS[2].caption, board=False),
        chart_panel("justice-outcomes", CHARTS[3].caption, board=False),
        chart_panel("justice-times", CHARTS[4].caption, board=False),
    ])


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)

    # The board's last view (it closes the pack) is not one of the pack's board views, so the
    # shell does not write its message: the funnel's first sentence, as the shell would.
    @app.callback(Output(f"{SLUG}-message", "children"), Input("filter-state", "data"))
    def message(state):
        from dashboard.shell import first_sentence

        view = from_dict(state)
        if not view.board:
            return ""
        out = BOARD_CHART.build(context.current().store_path, view)
        return out.message or first_sentence(out.summary)
