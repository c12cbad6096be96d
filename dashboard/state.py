"""The view state carried in the URL query string, so a copied link reopens the same view.

``?area=E06000016&period=2023Q1:2023Q4&sector=car_wash&type=labour&age=adult&scenario=gsi_2023``
plus ``board=1`` (presentation mode) and ``snapshot=N`` (data frozen at load N). Unknown or
malformed values fall back to the defaults rather than failing: a link pasted into an email
should always open something sensible.

``exact`` (the analyst's exact-count toggle) is a field but never a URL key: a copied link
always opens protected counts. It is granted only by :func:`from_dict` to a request that may
act as analyst, and never in board mode (docs/privacy.md, Audiences).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

from analysis.disclosure import EXACT, PROTECTED
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
    exact: bool = False  # analyst's exact counts; not a URL key, never with board mode

    def __post_init__(self):
        # Board mode is for the room and the pack: it is never exact, whoever asks.
        if self.board and self.exact:
            object.__setattr__(self, "exact", False)

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


def disclosure_mode(state: ViewState) -> str:
    """The ``mode`` every protect call of this view uses: ``"exact"`` only when the view
    asks for exact counts (granted by :func:`from_dict`), else ``"protected"``.

    >>> disclosure_mode(ViewState()), disclosure_mode(ViewState(exact=True))
    ('protected', 'exact')
    >>> disclosure_mode(ViewState(exact=True, board=True))
    'protected'
    """
    return EXACT if state.exact and not state.board else PROTECTED


def may_see_exact() -> bool:
    """Whether the current request may have exact counts: a request of a user who may act
    as analyst (anyone, when login is off). Outside a request nobody may: fail closed."""
    import flask

    if not flask.has_request_context():
        return False
    from dashboard.auth import may  # here, not at the top: dashboard.auth imports this module

    return may("analyst")


def from_dict(data: dict | None) -> ViewState:
    """Rebuild a ViewState from its ``to_dict()`` form (as kept in a dcc.Store).

    This is where every callback turns client input into a view, so it is where the server
    decides exact counts: ``exact`` is kept only when it is literally ``True`` and the
    request may act as analyst (:func:`may_see_exact`); whatever else the client sends,
    the view is protected.

    >>> from_dict({"exact": True}).exact  # no request: nobody is an analyst
    False
    """
    if not data:
        return ViewState()
    state = _rebuild(data)
    exact = state.exact is True and may_see_exact()
    return state if state.exact is exact else replace(state, exact=exact)


def _rebuild(data: dict) -> ViewState:
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
