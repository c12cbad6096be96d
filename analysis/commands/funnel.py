"""`darkfigure funnel`: detected people -> NRM referral -> crime recorded -> charge/summons."""

from __future__ import annotations

import argparse
import json

NAME = "funnel"
HELP = ("Print the victim-to-charge funnel for an area and period: counts, rates with Wilson "
        "95% intervals, times to each stage, the share still open and the trends.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--area", metavar="CODE",
                        help="district or police force area code (default: setting home_area)")
    parser.add_argument("--period", metavar="FROM:TO",
                        help="inclusive quarters of detection, e.g. 2023Q1:2023Q4 (default: all)")
    parser.add_argument("--by", choices=("year", "quarter"), default="year",
                        help="cohorts by year (default) or quarter of detection")
    parser.add_argument("--police-only", action="store_true",
                        help="only people detected by the police (default: every agency)")
    parser.add_argument("--follow-up", metavar="DAYS", type=int, default=365,
                        help="follow-up time at which cohorts' charge rates are compared")
    parser.add_argument("--exact", action="store_true",
                        help="exact counts, not protected (analysts under the data-sharing "
                             "agreement only; never for publication)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def load_funnel(store_path, area: str | None, period: str | None, *, by: str = "year",
                police_only: bool = False, follow_up_days: int = 365, mode: str = "protected"):
    """The :class:`analysis.justice.JusticeFunnelResult` counted in the store (the same
    call as the dashboard's Justice page)."""
    from analysis.config import get_setting
    from analysis.justice import store_justice_funnel
    from analysis.periods import parse_period_range
    from analysis.store import Store

    start, end = parse_period_range(period)
    with Store(store_path, read_only=True) as store:
        return store_justice_funnel(store.connection, area or get_setting("home_area"),
                                    start=start, end=end, police_only=police_only, by=by,
                                    follow_up_days=follow_up_days, mode=mode)


def run(args: argparse.Namespace) -> int:
    result = load_funnel(args.store, args.area, args.period, by=args.by,
                         police_only=args.police_only, follow_up_days=args.follow_up,
                         mode="exact" if args.exact else "protected")
    out = result.as_dict()
    out["scope"] = "police-detected people" if args.police_only else "people detected by any agency"
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print(as_text(out))
    return 0


def _n(value) -> str:
    return value if isinstance(value, str) else "n/a" if value is None else f"{int(value):,}"


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _days(value) -> str:
    return "not reached" if value is None else f"{value:,.0f}"


def as_text(out: dict) -> str:
    """The funnel as plain text (counts below the threshold as [c])."""
    from analysis.justice import STAGE_LABELS

    lines = [f"Victim-to-charge funnel, {out['area_code']}, detected {out['period']} "
             f"({out['scope']}); outcomes as known on {out['as_of']}",
             f"Rates with {out['interval']} intervals, from the shown counts; unit: people; "
             f"counts {out['counts']}.", "",
             f"  {'stage':<26}{'people':>8}  {'rate':>7}  interval"]
    for row in (r for r in out["stages"] if r["cohort"] == "all"):
        rate = "" if row["stage"] == "detected" else _pct(row["rate"])
        interval = "" if row["lower"] is None else f"{_pct(row['lower'])} to {_pct(row['upper'])}"
        lines.append(f"  {STAGE_LABELS[row['stage']]:<26}{_n(row['count']):>8}  {rate:>7}  "
                     f"{interval}")
    lines += ["", f"  by cohort ({out['cohorts_by']}): detected / NRM / recorded / charged"]
    cohorts = {}
    for row in out["stages"]:
        if row["cohort"] != "all":
            cohorts.setdefault(row["cohort"], {})[row["stage"]] = _n(row["count"])
    for cohort, stages in cohorts.items():
        lines.append(f"  {cohort:<10}" + " / ".join(stages[s] for s in
                                                   ("detected", "nrm_referred", "crime_recorded",
                                                    "charged")))
    lines += ["", "  days from detection (Kaplan-Meier; open crimes censored):"]
    for row in out["times_days"]:
        lines.append(f"  {STAGE_LABELS[row['stage']]:<26} median {_days(row['median_days'])}, "
                     f"quartiles {_days(row['q1_days'])} to {_days(row['q3_days'])} "
                     f"({_n(row['events'])} people reached)")
    lines += ["", "  recorded crimes still open, by cohort:"]
    lines += [f"  {r['cohort']:<10}{_n(r['open_count'])} open of {_n(r['total'])} "
              f"({_pct(r['share'])})" for r in out["open"]]
    lines += ["", f"  charged within {out['follow_up_days']} days (cohorts observed that long):"]
    lines += [f"  {r['cohort']:<10}{_n(r['charged_count'])} of {_n(r['total'])} "
              f"({_pct(r['share'])})" for r in out["equal_follow_up"]]
    lines += ["", "  trend (odds ratio per year, 95% interval):"]
    for r in out["trends"]:
        value = "n/a" if r["odds_ratio_per_year"] is None else (
            f"{r['odds_ratio_per_year']:.2f} ({r['lower']:.2f} to {r['upper']:.2f})")
        lines.append(f"  {STAGE_LABELS[r['stage']]:<26}{value}")
    lines += ["", "  national (England and Wales; SECONDARY sources, check before use):"]
    for r in out["national"]:
        bound = "under " if r["upper_bound_only"] else ""
        lines.append(f"  {r['period']}: {bound}{_pct(r['share'])} {r['measure']} "
                     f"({r['source_title']})")
    lines += ["", *(f"note: {n}" for n in out["notes"])]
    return "\n".join(lines)
