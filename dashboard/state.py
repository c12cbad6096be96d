"""The view state carried in the URL query string, so a copied link reopens the same view.

``?area=E06000016&period=2023Q1:2023Q4&sector=car_wash&type=labour&age=adult&scenario=gsi_2023``
plus ``board=1`` (presentation mode) and ``snapshot=N`` (data frozen at load N). Unknown or
malformed values fall back to the defaults rather than failing: a link pasted into an email
should always open something sensible.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

from analysis.schema import AGE_GROUPS, EXPLOITATION_TYPES, SECTORS

ALL = "all"
DEFAULT_SCENARIO = "gsi_2023"
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_GSS = re.compile(r"^[EWSNK]\d{8}$")
_SCENARIO = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")

# URL key -> field name; the URL keys are short and readable.
URL_KEYS = {
    "area": "area",
    "period": "period",
    "sector": "sector",
    "type": "exploitation_type",
    "age": "age_group",
    "scenario": "scenario",
    "event": "event",
    "board": "board",
    "snapshot": "snapshot",
}
FILTER_FIELDS = ("area", "period", "sector", "exploitation_type", "age_group", "scenario", "event")


@dataclass(frozen=True)
class ViewState:
    """One dashboard view: filters plus presentation settings. Hashable, so it keys caches."""

    area: str = ""  # empty means the home force area (config.home_area)
    period: str = ""  # "FROM:TO" quarters; empty sides mean open
    sector: str = ALL
    exploitation_type: str = ALL
    age_group: str = ALL
    scenario: str = DEFAULT_SCENARIO
    event: str = ""  # quarter of an intervention to test on the Trends page ("" = none)
    board: bool = False
    snapshot: int | None = None
    # Exact counts for an analyst under the data-sharing agreement: never a URL key, so a
    # copied link never carries it; the server grants it only to the analyst role.
    exact: bool = False

    @property
    def start(self) -> str | None:
        return self.period.split(":")[0] or None if self.period else None

    @property
    def end(self) -> str | None:
        return (self.period.split(":") + [""])[1] or None if self.period else None

    def filters(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FILTER_FIELDS}

    def to_dict(self) -> dict:
        return asdict(self)


def _clean_period(value: str) -> str:
    parts = value.split(":") if value else []
    if len(parts) != 2:
        return ""
    start, end = (p.strip().upper() for p in parts)
    if any(p and not _QUARTER.match(p) for p in (start, end)):
        return ""
    if start and end and start > end:
        start, end = end, start
    return f"{start}:{end}" if (start or end) else ""


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def from_query(query: dict[str, object] | str | None) -> ViewState:
    """Parse a query string (or Dash Pages' keyword arguments) into a ViewState.

    >>> from_query("?area=E06000016&period=2023Q1:2023Q4&board=1").board
    True
    >>> from_query({"sector": "not-a-sector"}).sector
    'all'
    """
    if query is None:
        query = {}
    if isinstance(query, str):
        query = dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    q = {URL_KEYS[k]: v for k, v in query.items() if k in URL_KEYS}
    area = str(q.get("area", "")).strip().upper()
    sector = str(q.get("sector", ALL))
    etype = str(q.get("exploitation_type", ALL))
    age = str(q.get("age_group", ALL))
    scenario = str(q.get("scenario", DEFAULT_SCENARIO))
    snapshot = str(q.get("snapshot", ""))
    event = str(q.get("event", "")).strip().upper()
    return ViewState(
        area=area if _GSS.match(area) else "",
        period=_clean_period(str(q.get("period", ""))),
        sector=sector if sector in SECTORS else ALL,
        exploitation_type=etype if etype in EXPLOITATION_TYPES else ALL,
        age_group=age if age in AGE_GROUPS else ALL,
        scenario=scenario if _SCENARIO.match(scenario) else DEFAULT_SCENARIO,
        event=event if _QUARTER.match(event) else "",
        board=_truthy(q.get("board", "")),
        snapshot=int(snapshot) if snapshot.isdigit() else None,
    )


def from_dict(data: dict | None) -> ViewState:
    """Rebuild a ViewState from its ``to_dict()`` form (as kept in a dcc.Store)."""
    if not data:
        return ViewState()
    names = {f.name for f in fields(ViewState)}
    return replace(ViewState(), **{k: v for k, v in data.items() if k in names})


def to_query(state: ViewState) -> str:
    """The query string for a state, leaving out defaults so links stay short.

    >>> to_query(ViewState(area="E06000016", board=True))
    '?area=E06000016&board=1'
    >>> to_query(ViewState())
    ''
    """
    default = ViewState()
    pairs = []
    for key, name in URL_KEYS.items():
        value = getattr(state, name)
        if value == getattr(default, name) or value in ("", None):
            continue
        pairs.append((key, "1" if value is True else str(value)))
    return "?" + urlencode(pairs, safe=":") if pairs else ""


def disclosure_mode(state: ViewState) -> str:
    """The disclosure mode of a view: ``"exact"`` when an analyst switched exact counts on,
    else ``"protected"`` (``analysis.disclosure``).

    >>> disclosure_mode(ViewState())
    'protected'
    """
    from analysis.disclosure import EXACT, PROTECTED

    return EXACT if state.exact and not state.board else PROTECTED
