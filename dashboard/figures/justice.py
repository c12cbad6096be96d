"""Justice charts: the victim-to-charge funnel, stage rates by cohort against national
figures, cases still open, outcome groups and times to each stage. Tables in, figures out
(already protected by ``analysis.justice``); no statistics here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import add_source, base_figure, message_figure

JUSTICE_SOURCE = (
    "Source: forum agencies' referrals and police crime outcomes in the store (Home Office "
    "crime outcomes framework);<br>national charge rates from news reports of Home Office "
    "outcomes data (SECONDARY)."
)
GROUP_LABELS = {"charged_summonsed": "Charged or summonsed", "open": "Open (no outcome yet)",
                "fraud_nfib_filed": "NFIB filed (fraud only)"}
LABELS = {"detected": "Detected (people)", "nrm_referred": "Referred to the NRM",
          "crime_recorded": "Crime recorded", "charged": "Charged or summonsed"}
OF = {"nrm_referred": "of detected", "crime_recorded": "of detected",
      "charged": "of recorded crimes"}


def _pct(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def _count(value: object) -> str:
    return "[c]" if value is None or pd.isna(value) else f"{int(value):,}"


def _overall(stages: pd.DataFrame) -> pd.DataFrame:
    return stages[stages["cohort"] == "all"].set_index("stage").reindex(list(LABELS))


def short_period(period: str) -> str:
    """A published period label short enough for a chart: "latest year (c.2022-23)" ->
    "c.2022-23", "2021 (calendar/financial year as reported)" -> "2021"."""
    head, _, rest = period.partition(" (")
    inside = rest.rstrip(")")
    return inside if inside.startswith("c.") else head


def national_note(national: pd.DataFrame) -> str:
    """England and Wales charge rates in one line, each marked secondary where it is."""
    parts = [f"{short_period(ref['period'])}: {'under ' if ref['upper_bound_only'] else ''}"
             f"{ref['share']:.1%}" for _, ref in national.iterrows()]
    kind = " (secondary sources)" if national["secondary"].any() else ""
    return (f"England and Wales, modern slavery offences charged{kind}:<br>"
            + "<br>".join(parts))


def funnel_chart(stages: pd.DataFrame, national: pd.DataFrame | None = None, *,
                   board: bool = False, source: str = JUSTICE_SOURCE) -> go.Figure:
    """Horizontal funnel of the whole period: people at each stage with the stage rate and
    its interval; suppressed counts as [c]; national charge rates noted below."""
    overall = _overall(stages)
    if overall["count"].isna().all():
        return message_figure("No referrals in this view", board=board)
    counts = pd.to_numeric(overall["count"], errors="coerce")
    text = []
    for stage, row in overall.iterrows():
        label = _count(row["count"])
        if stage != "detected" and pd.notna(row["rate"]):
            label += (f"  ({_pct(row['rate'])} {OF[stage]}, "
                      f"{_pct(row['lower'])} to {_pct(row['upper'])})")
        text.append(label)
    colours = [theme.GREY, theme.SKY, theme.BLUE, theme.ORANGE]
    fig = base_figure(board=board, height=600 if board else 400, source=source)
    fig.add_trace(go.Bar(
        x=counts.fillna(0), y=[LABELS[s] for s in overall.index], orientation="h",
        marker=dict(color=colours), text=text, textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>", showlegend=False))
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title="People (whole period)", range=[0, float(counts.max()) * 1.9])
    if board and national is not None and len(national):
        # a projected screen has no room beside the bars' labels: one line under the axis
        low = national.loc[national["share"].idxmin()]
        high = float(national["share"].max())
        under = "under " if bool(low["upper_bound_only"]) else ""
        # secondary: the source line under it says so (at 1280x720 this line is full)
        fig.update_xaxes(title=f"People (whole period)<br>England and Wales: {under}"
                               f"{float(low['share']):.1%} to {high:.1%} of offences charged")
    elif national is not None and len(national):
        fig.add_annotation(text=national_note(national), xref="paper", yref="paper", x=1,
                           y=0.04, xanchor="right", yanchor="bottom", showarrow=False,
                           align="right",
                           # board text at least 24 px (a projected screen)
                           font=dict(size=theme.font_size(board) - (2 if board else 4),
                                     color=theme.GREY))
    return fig


def describe_funnel(stages: pd.DataFrame, area: str, period: str, as_of: str) -> str:
    """One sentence for the board and screen readers."""
    o = _overall(stages)
    if o["count"].isna().all():
        return f"{area}: no referrals in this view."
    charged = o.loc["charged"]
    rate = (f"{_pct(charged['rate'])} ({_pct(charged['lower'])} to "
            f"{_pct(charged['upper'])}, 95% interval)") if pd.notna(charged["rate"]) else "[c]"
    return (f"{area}, people detected {period}: {_count(o.loc['detected', 'count'])} "
            f"detected, {_count(o.loc['nrm_referred', 'count'])} referred to the NRM, "
            f"{_count(o.loc['crime_recorded', 'count'])} with a crime recorded and "
            f"{_count(charged['count'])} charged or summonsed: {rate} of recorded crimes, "
            f"as known on {as_of} (recent cases are still open).")


def board_message(stages: pd.DataFrame, area: str, period: str) -> str:
    """The board's sentence: how many of the people with a recorded crime were charged."""
    o = _overall(stages)
    if o["count"].isna().all():
        return f"{area}: no referrals in this view."
    charged = o.loc["charged"]
    rate = f" ({_pct(charged['rate'])})" if pd.notna(charged["rate"]) else ""
    return (f"{area}, people detected {period}: {_count(charged['count'])} of "
            f"{_count(o.loc['crime_recorded', 'count'])} with a recorded crime charged or "
            f"summonsed{rate[:-1] + '; ' if rate else ' ('}recent cases still open).")


def _two_panels(titles: tuple[str, str], *, board: bool) -> go.Figure:
    """Two side-by-side panels with titles: the layout ``make_subplots(rows=1, cols=2,
    horizontal_spacing=0.12, subplot_titles=titles)`` makes, set directly (a third of the
    time; this chart is drawn on every Justice view)."""
    fig = go.Figure()
    fig.update_layout(
        template=theme.template(board), height=620 if board else 440,
        xaxis=dict(domain=[0.0, 0.44], anchor="y"), yaxis=dict(domain=[0.0, 1.0], anchor="x"),
        xaxis2=dict(domain=[0.56, 1.0], anchor="y2"),
        yaxis2=dict(domain=[0.0, 1.0], anchor="x2"),
        annotations=[dict(text=title, x=x, xref="paper", xanchor="center", y=1.0,
                          yref="paper", yanchor="bottom", showarrow=False, font=dict(size=16))
                     for title, x in zip(titles, (0.22, 0.78), strict=True)])
    return fig


def stage_rates(stages: pd.DataFrame, national: pd.DataFrame, *, board: bool = False,
                source: str = JUSTICE_SOURCE) -> go.Figure:
    """Rates by cohort with Wilson intervals: NRM referral and recording (left), charge
    (right, with England and Wales figures marked secondary)."""
    cohorts = stages[stages["cohort"] != "all"]
    if cohorts.empty:
        return message_figure("No referrals in this view", board=board)
    fig = _two_panels(("Of detected people", "Charged or summonsed, of recorded crimes"),
                      board=board)
    colours = {"nrm_referred": theme.SKY, "crime_recorded": theme.BLUE, "charged": theme.ORANGE}
    for stage, col in (("nrm_referred", 1), ("crime_recorded", 1), ("charged", 2)):
        rows = cohorts[cohorts["stage"] == stage]
        fig.add_trace(go.Scatter(
            x=rows["cohort"], y=rows["rate"], mode="markers+lines", name=LABELS[stage],
            marker=dict(color=colours[stage], size=12 if board else 9),
            line=dict(color=colours[stage]),
            error_y=dict(type="data", symmetric=False, array=rows["upper"] - rows["rate"],
                         arrayminus=rows["rate"] - rows["lower"], color=colours[stage]),
            hovertemplate="%{x}: %{y:.1%}<extra>" + LABELS[stage] + "</extra>",
            xaxis=f"x{col if col > 1 else ''}", yaxis=f"y{col if col > 1 else ''}"))
    hidden = cohorts[(cohorts["stage"] == "charged") & cohorts["rate"].isna()]
    if len(hidden):
        fig.add_trace(go.Scatter(x=hidden["cohort"], y=[0] * len(hidden), mode="text",
                                 text=["[c]"] * len(hidden), textposition="top center",
                                 showlegend=False, hoverinfo="skip", xaxis="x2",
                                 yaxis="y2"))
    for share, refs in national.groupby("share", sort=False):
        label = "; ".join(f"{short_period(r['period'])}: "
                          f"{'under ' if r['upper_bound_only'] else ''}"
                          f"{share:.1%}" + (" (secondary)" if r["secondary"] else "")
                          for _, r in refs.iterrows())
        # a shape and an annotation on the charge panel: what add_hline(row=1, col=2) draws,
        # without its search of every trace for the subplot (a third of the figure's time)
        fig.add_shape(type="line", xref="x2 domain", yref="y2", x0=0, x1=1, y0=share,
                      y1=share, line=dict(color=theme.GREY, dash="dot"))
        fig.add_annotation(xref="x2 domain", yref="y2", x=0, y=share, xanchor="left",
                           yanchor="bottom", showarrow=False, text="E&W " + label,
                           font=dict(size=theme.font_size(board) - (2 if board else 5),
                                     color=theme.GREY))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(type="category", title="Year of detection")
    fig.update_layout(legend=dict(orientation="h", y=1.18), margin=dict(t=110))
    return add_source(fig, source, board=board)


def open_and_follow_up(open_: pd.DataFrame, equal: pd.DataFrame, follow_up_days: int, *,
                       board: bool = False, source: str = JUSTICE_SOURCE) -> go.Figure:
    """Share of recorded crimes still open, and the share charged within the same follow-up
    time, by cohort (Wilson intervals)."""
    fig = base_figure(board=board, height=560 if board else 400, source=source)
    for frame, name, colour, count in (
            (open_, "Still open", theme.GREY, "open_count"),
            (equal, f"Charged within {follow_up_days} days", theme.ORANGE, "charged_count")):
        rows = frame[frame["cohort"] != "all"]
        if rows.empty:
            continue
        cohorts = sorted(set(open_["cohort"]) - {"all"})
        recent = [c not in set(rows["cohort"]) for c in cohorts]  # not followed that long
        rows = rows.set_index("cohort").reindex(cohorts).reset_index()
        fig.add_trace(go.Bar(
            x=rows["cohort"], y=rows["share"].fillna(0), name=name, marker_color=colour,
            error_y=dict(type="data", symmetric=False, array=rows["upper"] - rows["share"],
                         arrayminus=rows["share"] - rows["lower"], color=theme.INK),
            text=["too recent" if r else _count(c) if pd.isna(s) else _pct(s)
                  for c, s, r in zip(rows[count], rows["share"], recent, strict=True)],
            textposition="outside", hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>"))
    if not fig.data:
        return message_figure("No recorded crimes in this view", board=board)
    fig.update_layout(barmode="group", legend=dict(orientation="h", x=0.01, y=0.99,
                                                   yanchor="top", bgcolor="rgba(255,255,255,0.8)"))
    fig.update_yaxes(tickformat=".0%", title="Share of recorded crimes", rangemode="tozero")
    fig.update_xaxes(type="category", title="Year of detection")
    return fig


def outcome_groups(outcomes: pd.DataFrame, *, board: bool = False,
                   source: str = JUSTICE_SOURCE) -> go.Figure:
    """People with a recorded crime by Home Office outcome group (whole period)."""
    if outcomes.empty:
        return message_figure("No recorded crimes in this view", board=board)
    rows = outcomes.iloc[::-1]
    names = [GROUP_LABELS.get(g, g.replace("_", " ").capitalize()) + (f" ({c})" if c else "")
             for g, c in zip(rows["outcome_group"], rows["outcome_codes"], strict=True)]
    fig = base_figure(board=board, height=max(380, 34 * len(rows) + 120), source=source)
    fig.add_trace(go.Bar(
        x=pd.to_numeric(rows["count"], errors="coerce").fillna(0), y=names, orientation="h",
        marker_color=[theme.ORANGE if g == "charged_summonsed" else theme.GREY
                      if g == "open" else theme.BLUE for g in rows["outcome_group"]],
        text=[_count(c) for c in rows["count"]], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>", showlegend=False))
    fig.update_xaxes(title="People with a recorded crime")
    fig.update_layout(margin=dict(l=20))
    return fig


def stage_times(times: pd.DataFrame, *, board: bool = False,
                source: str = JUSTICE_SOURCE) -> go.Figure:
    """Days from detection to each stage: quartile bar with the median (Kaplan-Meier)."""
    rows = times.dropna(subset=["median_days"])
    if rows.empty:
        return message_figure("Too few people reached any stage to show times", board=board)
    fig = base_figure(board=board, height=460 if board else 380, source=source)
    q3 = rows["q3_days"].fillna(rows["median_days"])
    fig.add_trace(go.Bar(
        x=q3 - rows["q1_days"], base=rows["q1_days"], y=[LABELS[s] for s in rows["stage"]],
        orientation="h", marker_color=theme.BAND_DARK, name="Quartiles",
        hovertemplate="%{y}: quartiles %{base:.0f} to %{x:.0f} days<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=rows["median_days"], y=[LABELS[s] for s in rows["stage"]], mode="markers+text",
        marker=dict(color=theme.BLUE, size=14 if board else 10), name="Median",
        text=[f"{m:,.0f} days" + ("" if pd.notna(q) else " (upper quartile not reached)")
              for m, q in zip(rows["median_days"], rows["q3_days"], strict=True)],
        textposition="middle right"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="Days from first detection", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=1.15))
    return fig
