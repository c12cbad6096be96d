"""The "Python" action for the charts that count records or read the store: the public
`analysis` calls that reproduce each chart's data table for the view's filters.

Text only, as :mod:`dashboard.components.code`. Every snippet starts from the store file
(``analysis.store.Store``), counts people at their first-ever record
(``analysis.headline.view_people``) and protects every count (``analysis.disclosure``), as
the dashboard does; its last line is the table (``tests/test_chart_code.py`` runs each one on
the sample store and compares it with the chart's table). Where a chart's numbers pass
through a dashboard-only step, the snippet says so in a comment.
"""

from __future__ import annotations

from dashboard.components.code import group_where
from dashboard.state import ViewState

VIEW_LAYER = ("# No single public `analysis` call gives this table yet: the dashboard's view "
              "layer\n# ({module}) combines several analysis steps. The same numbers from a "
              "notebook:\n")


def _store(store_path) -> str:
    return repr(str(store_path))


def _referrals(store_path, snapshot: int | None) -> list[str]:
    lines = [
        "from analysis.store import Store",
        "",
        f"with Store({_store(store_path)}, read_only=True) as store:",
        "    referrals = store.referrals()",
    ]
    if snapshot is not None:  # the view is frozen to a load
        lines.append(f"referrals = referrals[referrals['load_id'] <= {snapshot}]")
    return lines


def people_code(store_path, state: ViewState, area_code: str, quarters: list[str],
                lifted: tuple[str, ...] = ()) -> list[str]:
    """Lines that leave ``people``: the view's new victims (first-ever records in the area's
    districts and quarters, and its group)."""
    where = group_where(state, lifted)
    return _referrals(store_path, state.snapshot) + [
        "from analysis.headline import view_people",
        "from analysis.periods import quarter_range",
        "",
        f"quarters = quarter_range({quarters[0]!r}, {quarters[-1]!r})",
        f"people = view_people(referrals, {area_code!r}, quarters"
        + (f", where={where!r})" if where else ")"),
    ]


def view_layer_code(store_path, state: ViewState, module: str, call: str) -> str:
    """A dashboard view-layer call, plainly labelled as such (no public analysis call yet)."""

    fields = {k: v for k, v in state.to_dict().items() if v not in (None, "", "all", False)}
    return VIEW_LAYER.format(module=module) + "\n".join([
        "from dashboard.state import from_dict",
        "from {} import {}".format(*module.removesuffix(".py").replace("/", ".").rsplit(".", 1)),
        "",
        f"state = from_dict({fields!r})",
        call.format(store=_store(store_path)),
    ])


# ---- national: published figures from the store's NRM tables ----------------------------

def national_code(store_path, call: str, *, imports: str) -> str:
    """``imports`` from ``analysis.national``; ``call`` uses ``store``."""
    return "\n".join([
        f"from analysis.national import {imports}",
        "from analysis.store import Store",
        "",
        f"with Store({_store(store_path)}, read_only=True) as store:",
        f"    table = {call}",
        "table",
    ])


def force_funnel_code(store_path, home_force: str) -> str:
    return national_code(
        store_path, f"force_funnel(police_referrals_by_force(store=store), {home_force!r})"
        ".to_frame()", imports="force_funnel, police_referrals_by_force")


def uk_nationals_code() -> str:
    return "\n".join(["from analysis.national import uk_national_share_by_force", "",
                      "uk_national_share_by_force()"])


def national_mix_code(store_path, state: ViewState, area_code: str, quarters: list[str],
                      area_name: str) -> str:
    return "\n".join(people_code(store_path, state, area_code, quarters) + [
        "from analysis.national_mix import uk_national_mix",
        "",
        f"uk_national_mix(people, {area_name!r})",
    ])


def peers_code(force: str) -> str:
    """The force and its five most similar forces with their published rates."""
    return "\n".join([
        "from analysis.national import police_referrals_by_force",
        "from analysis.peers import find_peers",
        "",
        f"peers = find_peers({force!r}, level='police_force_area', n_neighbors=5)",
        "rates = police_referrals_by_force('2022Q2', '2023Q4').set_index('pfa_code')",
        f"codes = [c for c in [{force!r}, *peers['peer_code']] if c in rates.index]",
        "rates.loc[codes, ['pfa_name', 'referrals', 'population', 'annual_rate_per_100k']]",
    ])


# ---- justice ----------------------------------------------------------------------------

JUSTICE_TABLES = {
    "funnel": "result.stages[result.stages['cohort'] == 'all']",
    "rates": "result.stages",
    "open": "result.open.merge(result.equal_follow_up, on='cohort', how='outer',\n"
            "                  suffixes=('_open', '_charged_within'))",
    "outcomes": "result.outcomes",
    "times": "result.times",
}


def justice_code(store_path, state: ViewState, area_code: str, table: str, *,
                 mode: str = "protected") -> str:
    """The funnel counted in the store (``analysis.justice.store_justice_funnel``), as the
    page does, then ``table``."""
    options = [f"start={state.start!r}", f"end={state.end!r}"]
    if state.snapshot is not None:  # the view is frozen to a load
        options.append(f"snapshot={state.snapshot}")
    if mode != "protected":
        options.append(f"mode={mode!r}")
    return "\n".join([
        "from analysis.justice import store_justice_funnel",
        "from analysis.store import Store",
        "",
        f"with Store({_store(store_path)}, read_only=True) as store:",
        f"    result = store_justice_funnel(store.connection, {area_code!r},",
        f"                                  {', '.join(options)})",
        JUSTICE_TABLES[table],
    ])


# ---- districts of the force: funnel, shrunken ratios, map --------------------------------

def districts_code(store_path, state: ViewState, force: str, quarters: list[str],
                   last: str) -> str:
    """Protected counts per district (suppressed ones left out of the estimators) against
    the expected figure, then ``last`` on ``table``."""
    return "\n".join(people_code(store_path, state, force, quarters) + [
        "import pandas as pd",
        "from analysis.assumptions import get_scenario",
        "from analysis.detection import districts_of",
        "from analysis.disclosure import protect_table",
        "from analysis.expected import expected_flow",
        "from analysis.reference import read_areas",
        "",
        f"districts = districts_of({force!r})",
        "shown = protect_table(people.astype({'area_code': str}), 'area_code',",
        "                      levels={'area_code': districts}).to_frame()",
        "shown = shown[~shown['count_suppressed']]  # a [c] district is not estimated",
        "names = read_areas().drop_duplicates('lad_code').set_index('lad_code')['lad_name']",
        f"expected = [expected_flow(c, scenario=get_scenario({state.scenario!r}), "
        "period_years=len(quarters) / 4)",
        "            for c in shown['area_code']]",
        "table = pd.DataFrame({'area_code': shown['area_code'],",
        "                      'area_name': shown['area_code'].map(names),",
        "                      'detected': shown['count'].astype('int64'),",
        "                      'expected': [e.value for e in expected],",
        "                      'expected_lower': [e.lower for e in expected],",
        "                      'expected_upper': [e.upper for e in expected]}).reset_index(drop=True)",
        last,
    ])


FUNNEL_LAST = ("from analysis.funnel import funnel\n\n"
               "funnel(table, highlight={highlight!r}, overdispersion='auto').to_frame()")
SHRINK_LAST = "from analysis.shrinkage import shrink_ratios\n\nshrink_ratios(table).to_frame()"
MAP_LAST = ("from analysis.funnel import funnel\n\n"
            "funnel(table, highlight={highlight!r}, overdispersion='auto')"
            ".table[['area_code', 'area_name', 'ratio', 'classification']]")


# ---- sectors, composition, trends ----------------------------------------------------------

def sector_counts_code(store_path, state: ViewState, area_code: str,
                       quarters: list[str]) -> str:
    """Protected new victims per sector (every sector a cell; the sector filter lifted)."""
    return "\n".join(people_code(store_path, state, area_code, quarters, lifted=("sector",)) + [
        "from analysis.disclosure import protect_table",
        "from analysis.schema import SECTORS",
        "",
        "protect_table(people.astype({'sector': str}), 'sector',",
        "              levels={'sector': list(SECTORS)}).to_frame()",
    ])


def composition_code(store_path, state: ViewState, area_code: str, quarters: list[str]) -> str:
    """Shares of the view's new victims (every group) against the national NRM mix."""
    everyone = ViewState(area=state.area, period=state.period, snapshot=state.snapshot)
    return "\n".join(people_code(store_path, everyone, area_code, quarters) + [
        "from analysis.composition import protected_composition",
        "",
        "protected_composition(people)",
    ])


def quarterly_code(store_path, state: ViewState, area_code: str, quarters: list[str],
                   *, control: bool = False, forecast: bool = False) -> str:
    """Protected new victims per quarter (with ``forecast``, the four-quarter forecast after
    them); with ``control``, the c-chart on the counts."""
    lines = people_code(store_path, state, area_code, quarters) + [
        "from analysis.disclosure import protect_table",
        "",
        "shown = protect_table(people.astype({'quarter': str}), 'quarter',",
        "                      levels={'quarter': quarters}).to_frame()",
    ]
    series = "shown.rename(columns={'count': 'detected', 'count_suppressed': 'detected_suppressed'})"
    if not control and not forecast:
        return "\n".join(lines + [series])
    lines += [
        "import pandas as pd",
        "",
        "# models use the exact counts: the page shows them only when every quarter's",
        "# protected count is shown",
        "counts = people['quarter'].astype(str).value_counts().reindex(quarters, fill_value=0)",
        "raw = pd.DataFrame({'quarter': quarters, 'detected': counts.to_numpy()})",
    ]
    if control:
        return "\n".join(lines + [
            "from analysis.control_chart import control_chart",
            "",
            "control_chart(raw, count='detected').table.assign(detected=shown['count'].to_numpy())",
        ])
    return "\n".join(lines + [
        "from analysis.trends import forecast_counts",
        "",
        "forecast = forecast_counts(raw, count='detected').forecast.rename(columns={",
        "    'value': 'forecast', 'lower': 'forecast_lower', 'upper': 'forecast_upper'})",
        f"pd.concat([{series}, forecast], ignore_index=True)",
    ])


def mse_code(store_path, state: ViewState, area_code: str, quarters: list[str],
             latent_class: dict, *, estimates: bool = True) -> str:
    """The Hidden figure: the window's referrals, their capture patterns (agency types merged
    as the page merges them) and, for the estimates, every method side by side. The page
    shows the pattern counts and the known people through the cell-key layer; the models fit
    the true table, as ``darkfigure mse --store`` does."""
    lines = [
        "from analysis.detection import districts_of",
        "from analysis.mse import AGENCY_TYPE_MERGE, capture_patterns, compare_methods",
        "from analysis.store import Store",
        "",
        f"with Store({_store(store_path)}, read_only=True) as store:",
        f"    referrals = store.referrals(area_codes=districts_of({area_code!r}),",
        f"                                start={quarters[0]!r}, end={quarters[-1]!r})",
    ]
    if state.snapshot is not None:
        lines.append(f"referrals = referrals[referrals['load_id'] <= {state.snapshot}]")
    lines.append("patterns = capture_patterns(referrals, merge=AGENCY_TYPE_MERGE)")
    if not estimates:
        return "\n".join([*lines, "patterns  # true counts: the chart shows them protected"])
    return "\n".join([
        *lines,
        f"result = compare_methods(patterns, window_years={len(quarters) / 4!r},",
        f"                         latent_class={latent_class!r})",
        "result.table()[['method', 'estimate', 'lower', 'upper', 'interval_method']]",
    ])
