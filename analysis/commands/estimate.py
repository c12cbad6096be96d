"""`darkfigure estimate`: expected, detected, detection ratio, gap and trend for an area."""

from __future__ import annotations

import argparse
import json

from analysis.errors import DarkFigureError

NAME = "estimate"
HELP = ("Print the headline: expected (interval), detected, detection ratio and gap "
        "(intervals), trend, and the assumptions used.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--area", metavar="CODE",
                        help="district or police force area code (default: setting home_area)")
    parser.add_argument("--period", metavar="FROM:TO",
                        help="inclusive quarters, e.g. 2023Q1:2023Q4 (default: all stored)")
    parser.add_argument("--scenario", metavar="NAME", help="prevalence scenario (default gsi_2023)")
    parser.add_argument("--duration", metavar="YEARS", type=float,
                        help="mean duration of exploitation in years (default 2, range 1-5)")
    parser.add_argument("--national", action="store_true",
                        help="UK NRM referrals against the expected UK flow (public data)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _quarters(args, store_quarters=None) -> list[str] | None:
    from analysis.periods import parse_period_range, quarter_range

    start, end = parse_period_range(args.period)
    if start is None and end is None:
        return None
    if store_quarters is not None:
        start = start or min(store_quarters)
        end = end or max(store_quarters)
    elif start is None or end is None:
        raise DarkFigureError("--national needs both ends of --period, e.g. 2023Q1:2023Q4")
    return quarter_range(start, end)


def _local(args, duration):
    from analysis.config import get_setting, suppression_threshold
    from analysis.detection import area_detection, districts_of
    from analysis.periods import parse_period_range, quarter_range
    from analysis.store import Store

    area = args.area or get_setting("home_area")
    districts = districts_of(area)
    start, end = parse_period_range(args.period)
    with Store(args.store, read_only=True) as store:
        referrals = store.referrals(area_codes=districts, start=start, end=end)
    if referrals.empty and (start is None or end is None):
        raise DarkFigureError(f"no referrals stored for {area}: give --period FROM:TO")
    start = start or referrals["quarter"].min()
    end = end or referrals["quarter"].max()
    quarters = quarter_range(start, end)
    result, model, notes = area_detection(referrals, area, quarters, scenario=args.scenario,
                                          duration=duration, alpha=args.alpha)
    suppressed = 0 < result.detected < suppression_threshold()
    return area, quarters, result, model, notes, suppressed


def run(args: argparse.Namespace) -> int:
    from analysis.assumptions import duration as make_duration
    from analysis.detection import national_detection
    from analysis.expected import UK_CODE

    duration = make_duration(args.duration) if args.duration is not None else None
    if args.national:
        quarters = _quarters(args)
        result, model, notes = national_detection(quarters, scenario=args.scenario,
                                                  duration=duration, alpha=args.alpha)
        area, suppressed = UK_CODE, False
        quarters = quarters or _last_four()
    else:
        area, quarters, result, model, notes, suppressed = _local(args, duration)
    if suppressed:
        notes.append("detected count below the disclosure threshold: shown as [c], and the "
                     "ratio and gap (which would reveal it) are withheld")
    out = _as_dict(area, quarters, result, model, notes, suppressed)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(_as_text(out, result, suppressed))
    return 0


def _last_four() -> list[str]:
    from analysis.national import uk_quarterly_referrals

    return uk_quarterly_referrals("first")["period"].tolist()[-4:]


def _as_dict(area, quarters, result, model, notes, suppressed) -> dict:
    out = result.as_dict()
    out.update(area_code=area, period=f"{quarters[0]}:{quarters[-1]}", quarters=len(quarters),
               notes=notes, family=None if model is None else model.family)
    if suppressed:
        out.update(detected="[c]", detected_interval=None, detection_ratio=None, gap=None)
    return out


def _interval(e: dict | None, pct: bool = False) -> str:
    if e is None:
        return "withheld"

    def f(x):
        if x is None:
            return "n/a"
        return f"{x:.1%}" if pct else f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

    return f"{f(e['value'])} ({f(e['lower'])} to {f(e['upper'])})"


def _as_text(out: dict, result, suppressed: bool) -> str:
    level = f"{1 - result.alpha:.0%}"
    lines = [
        f"Area {out['area_code']}, {out['period']} ({out['quarters']} quarters)",
        f"  expected new cases:  {_interval(out['expected'])}  [scenario envelope]",
        f"  detected:            {out['detected'] if suppressed else f'{result.detected:,}'}",
        f"  detection ratio:     {_interval(out['detection_ratio'], pct=True)}"
        f"  [{level} exact count interval x scenario envelope]",
        f"  gap:                 {_interval(out['gap'])}",
        "  trend:               " + (
            "skipped" if out["trend"] is None else
            f"{_interval(out['trend'])} rate ratio per year, {out['family']} GLM"),
        "Notes:", *[f"  - {n}" for n in out["notes"]],
        "Assumptions:", *[f"  - {a}" for a in out["assumptions"]],
    ]
    return "\n".join(lines)
