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
                        help="inclusive quarters written FROM:TO, e.g. 2025Q1:2025Q4 (either end "
                             "may be left open); default: the latest four complete quarters in "
                             "the store")
    parser.add_argument("--scenario", metavar="NAME",
                        help="prevalence scenario (default gsi_2023; see the scenarios table)")
    parser.add_argument("--duration", metavar="YEARS", type=float,
                        help="mean duration of exploitation in years (default 2, range 1-5)")
    parser.add_argument("--national", action="store_true",
                        help="UK NRM referrals against the expected UK new victims (public data)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--exact", action="store_true",
                        help="exact counts, not protected (analysts under the data-sharing "
                             "agreement only; the output says so; never publish it)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from analysis.assumptions import duration as make_duration

    if not 0 < args.alpha < 1:
        raise DarkFigureError(f"--alpha must be between 0 and 1, got {args.alpha}")
    duration = make_duration(args.duration) if args.duration is not None else None
    if args.national:
        from analysis.area_detection import national_detection
        from analysis.periods import parse_period_range, quarter_range

        start, end = parse_period_range(args.period)
        if (start is None) != (end is None):
            raise DarkFigureError("--national needs both ends of --period, e.g. 2023Q1:2023Q4")
        quarters = quarter_range(start, end) if start else None
        result = national_detection(quarters, scenario=args.scenario, duration=duration,
                                    alpha=args.alpha)
        suppressed = False  # published national figures, not record-level
    else:
        from analysis.headline import read_headline

        result = read_headline(args.store, args.area, args.period, scenario=args.scenario,
                               duration=duration, alpha=args.alpha,
                               mode="exact" if args.exact else "protected")
        suppressed = result.detection is None
    out = as_dict(result, duration, suppressed)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(as_text(out))
    return 0


def as_dict(result, duration=None, suppressed: bool = False) -> dict:
    """The JSON contract: period, detected, expected, detection_ratio, gap, trend, scenarios."""
    from analysis.assumptions import DEFAULT_DURATION
    from analysis.scenarios import scenario_table

    out = result.as_dict()
    table = scenario_table(result.area_code, period_years=len(result.quarters) / 4,
                           duration=duration or DEFAULT_DURATION)
    out["unit"] = "new victims (people) in the period"
    out["scenarios"] = json.loads(table.to_json(orient="records"))
    return out


def _fmt(x, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    return f"{x:.1%}" if pct else f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _estimate(e: dict | None, pct: bool = False) -> str:
    if e is None:
        return "withheld (would reveal a protected count)"
    if e.get("value") is None:
        return "not given (the data contradict the assumption)"
    kind = (f"{e['confidence_level']:.0%} {e['interval_kind']} interval"
            if e.get("confidence_level") else e["interval_kind"] or "")
    text = f"{_fmt(e['value'], pct)}"
    if e.get("lower") is not None and kind:
        text += f"  ({kind}: {_fmt(e['lower'], pct)} to {_fmt(e['upper'], pct)})"
    return text


def as_text(out: dict) -> str:
    """The headline in words, each number with its period, unit and kind of interval."""
    period = f"{out['period_label']} ({out['period']}, {out['quarters']} quarters)"
    ratio, gap = out["detection_ratio"], out["gap"]
    lines = [
        f"{out['area_name']} ({out['area_code']}): new victims of modern slavery in {period}",
        f"  scenario:        {out['scenario_title']}",
        f"  expected:        {_estimate(out['expected'])} people",
        f"  detected:        {_estimate(out['detected'])} people",
        f"  detection ratio: {_estimate(ratio, pct=True)}",
    ]
    if ratio is not None:
        lines.append(f"                   {_estimate(ratio['assumption_range'], pct=True)}")
    lines.append(f"  gap:             {_estimate(gap)} people")
    if gap is not None:
        lines.append(f"                   {_estimate(gap['assumption_range'])}")
    trend = out["trend"]
    lines.append("  trend:           " + ("not estimated" if trend is None else
                                          f"{trend['verdict']} [{trend['estimate']}]"))
    lines.append("Scenarios (each a separate assumption, expected new victims in the period):")
    for row in out["scenarios"]:
        value = ("not offered" if row["expected"] is None else
                 f"{_fmt(row['expected'])} ({row['interval_kind']}: "
                 f"{_fmt(row['expected_lower'])} to {_fmt(row['expected_upper'])})")
        flag = f" - {row['note']}" if row["note"] else ""
        lines.append(f"  {row['label']}: {value}{flag}")
    lines += ["Notes:", *[f"  - {n}" for n in out["notes"]],
              "Assumptions:", *[f"  - {a}" for a in out["assumptions"]]]
    return "\n".join(lines)
