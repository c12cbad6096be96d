"""The filter bar: native, labelled <select> controls (keyboard and screen-reader friendly)."""

from __future__ import annotations

from dataclasses import dataclass, field

import dash_bootstrap_components as dbc
from dash import html

from dashboard.state import ALL

EARLIEST = "earliest"
NONE = "none"
LATEST = "latest"

FILTER_IDS = {
    "area": "filter-area",
    "start": "filter-from",
    "end": "filter-to",
    "sector": "filter-sector",
    "exploitation_type": "filter-type",
    "age_group": "filter-age",
    "scenario": "filter-scenario",
    "event": "filter-event",
}


@dataclass(frozen=True)
class FilterOptions:
    """Choices for each filter as (value, label) pairs."""

    areas: list[tuple[str, str]] = field(default_factory=list)
    quarters: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    exploitation_types: list[str] = field(default_factory=list)
    age_groups: list[str] = field(default_factory=list)
    scenarios: list[tuple[str, str]] = field(default_factory=list)


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _select(filter_key: str, label: str, options: list[dict], value: str) -> html.Div:
    control_id = FILTER_IDS[filter_key]
    return html.Div(
        [
            dbc.Label(label, html_for=control_id, className="form-label"),
            dbc.Select(id=control_id, options=options, value=value, size="sm"),
        ],
        className="filter",
    )


def _vocab(values: list[str], every: str) -> list[dict]:
    return [{"label": every, "value": ALL}] + [{"label": _label(v), "value": v} for v in values]


def filter_bar(options: FilterOptions, home_area: str) -> html.Section:
    """The filters shown on every analyst page, with the home force area selected."""
    # Both ends unset is the product's default period (the latest four complete quarters);
    # one end set opens the other to the first or last stored quarter.
    quarters = [{"label": "Default year (or earliest)", "value": EARLIEST}] + [
        {"label": q, "value": q} for q in options.quarters
    ]
    quarters_to = [{"label": "Default year (or latest)", "value": LATEST}] + [
        {"label": q, "value": q} for q in options.quarters
    ]
    return html.Section(
        [
            html.H2("Filters", className="visually-hidden", id="filters-heading"),
            html.Div(
                [
                    _select(
                        "area",
                        "Area",
                        [{"label": n, "value": c} for c, n in options.areas],
                        home_area,
                    ),
                    _select("start", "From quarter", quarters, EARLIEST),
                    _select("end", "To quarter", quarters_to, LATEST),
                    _select("sector", "Sector", _vocab(options.sectors, "All sectors"), ALL),
                    _select(
                        "exploitation_type",
                        "Exploitation type",
                        _vocab(options.exploitation_types, "All types"),
                        ALL,
                    ),
                    _select("age_group", "Age group", _vocab(options.age_groups, "All ages"), ALL),
                    _select(
                        "scenario",
                        "National estimate (scenario)",
                        [{"label": n, "value": c} for c, n in options.scenarios],
                        "gsi_2023",
                    ),
                    _select(
                        "event",
                        "Intervention quarter (Trends)",
                        [{"label": "None", "value": NONE}]
                        + [{"label": q, "value": q} for q in options.quarters],
                        NONE,
                    ),
                ],
                className="filter-row",
            ),
        ],
        className="filter-bar analyst-only",
        **{"aria-labelledby": "filters-heading"},
    )
