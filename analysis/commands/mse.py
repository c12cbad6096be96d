"""`darkfigure mse`: multiple systems estimates, method by method, from a capture-pattern CSV
or the store (default: the configured store, home area, latest four complete quarters)."""

from __future__ import annotations

import argparse
import json
import math

from analysis.errors import DarkFigureError

NAME = "mse"
HELP = ("Multiple systems estimate of the hidden number from overlapping lists, with a "
        "method-sensitivity table.")
METHOD_CHOICES = ("stepwise", "bic", "dga", "latent-class", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE.csv",
                        help="capture-pattern table: one 0/1 column per list and 'count' "
                             "(default: build it from the store)")
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--area", metavar="CODE", action="append",
                        help="district or police force area code (repeatable; default: "
                             "setting home_area)")
    parser.add_argument("--period", metavar="FROM:TO",
                        help="inclusive quarters (default: the latest four complete quarters, "
                             "an annual window)")
    parser.add_argument("--lists", choices=("agency_type", "agency"), default="agency_type",
                        help="what makes a list (store; default agency_type)")
    parser.add_argument("--merge", metavar="OLD=NEW", action="append",
                        help="rename or merge lists (store; repeatable; default for agency "
                             "types: labour inspectors into one list, police and Home Office "
                             "into 'enforcement')")
    parser.add_argument("--no-merge", action="store_true",
                        help="keep every agency type as its own list (store)")
    parser.add_argument("--min-list-size", type=int, default=1, metavar="N",
                        help="pool lists with fewer people into 'other' (store)")
    parser.add_argument("--method", choices=METHOD_CHOICES, default=None,
                        help="estimator (default all: the method-sensitivity table)")
    parser.add_argument("--criterion", choices=("stepwise", "aic", "bic"), default=None,
                        help="selection rule of the stepwise method (implies --method "
                             "stepwise when --method is not given)")
    parser.add_argument("--pthresh", type=float, default=0.02,
                        help="stepwise entry threshold (default 0.02)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap replicates for the stepwise and BIC intervals "
                             "(default 1000)")
    parser.add_argument("--interval", choices=("conditional", "profile", "bca", "parametric"),
                        default=None, help="interval of the stepwise method (default: bca)")
    parser.add_argument("--draws", type=int, default=None, metavar="N",
                        help="latent-class iterations kept per chain (default 10000)")
    parser.add_argument("--burn-in", type=int, default=None, metavar="N",
                        help="latent-class iterations discarded per chain (default 3000)")
    parser.add_argument("--seed", type=int, default=1234, help="random seed (default 1234)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from analysis.mse import compare_methods, read_capture_table

    if not 0 < args.alpha < 1:
        raise DarkFigureError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if args.bootstrap < 0:
        raise DarkFigureError(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    if args.file is not None and args.store is not None:
        raise DarkFigureError("give either FILE.csv or --store PATH, not both")
    method = args.method or ("stepwise" if args.criterion else "all")
    methods = None if method == "all" else [method]
    window = expected = None
    if args.file is not None:
        table = read_capture_table(args.file)
    else:
        table, window, expected = _store_table(args)
    stepwise = {"criterion": args.criterion or "stepwise", "pthresh": args.pthresh,
                "interval": args.interval}
    latent = {k: v for k, v in (("draws", args.draws), ("burn_in", args.burn_in))
              if v is not None}
    kwargs = {"bootstrap": args.bootstrap, "alpha": args.alpha, "random_state": args.seed,
              "window_years": None if window is None else window["years"],
              "stepwise": stepwise, "latent_class": latent}
    result = compare_methods(table, methods, **kwargs) if methods else \
        compare_methods(table, **kwargs)
    out = result.to_dict()
    if window is not None:
        out["observed"] = window["observed"]
        out["window"] = {k: v for k, v in window.items() if k != "observed"}
        out["expected_during_window"] = expected.as_dict() if expected is not None else None
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print(result.summary())
        if expected is not None:
            print(_expected_text(out, expected))
    return 0


def _store_table(args):
    """Capture patterns of the store's referrals for the areas and window, the window's facts
    and the expected number exploited during it (same areas and window)."""
    from dataclasses import replace

    import pandas as pd

    from analysis.config import get_setting, store_path
    from analysis.detection import districts_of
    from analysis.disclosure import protect_count
    from analysis.expected import expected_during_window
    from analysis.headline import latest_load_date, resolve_period, stored_quarters
    from analysis.mse import capture_patterns
    from analysis.store import Store

    codes = args.area or [get_setting("home_area")]
    # a police force area or region is the sum of its districts, as the store keeps them
    districts = sorted({d for a in codes for d in districts_of(a)})
    with Store(store_path(args.store), read_only=True) as store:
        everything, loads = store.referrals(), store.loads()
        quarters = resolve_period(args.period, stored_quarters(everything),
                                  latest_load_date(loads))
        referrals = store.referrals(area_codes=districts, start=quarters[0], end=quarters[-1])
    if referrals.empty:
        raise DarkFigureError(f"no stored referrals for {', '.join(codes)} in "
                              f"{quarters[0]} to {quarters[-1]}")
    from analysis.mse import AGENCY_TYPE_MERGE

    default = args.lists == "agency_type" and not args.merge and not args.no_merge
    merge = dict(AGENCY_TYPE_MERGE) if default else {}
    for item in args.merge or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise DarkFigureError(f"--merge takes OLD=NEW, got {item!r}")
        merge[old.strip()] = new.strip()
    table = capture_patterns(referrals, list_column=args.lists, merge=merge or None,
                             min_list_size=args.min_list_size)
    # the linked people of the window, one cell of the cell-key layer (as the Hidden page)
    linked = referrals[referrals["person_key"].notna() & (referrals["person_key"] != "")]
    observed = protect_count(linked.drop_duplicates("person_key")).value
    observed = pd.NA if observed is None else observed
    years = len(quarters) / 4
    estimates = [expected_during_window(code, window_years=years) for code in codes]
    expected = estimates[0]
    if len(estimates) > 1:
        expected = replace(expected, name=f"expected people exploited during {years:g} "
                           f"year(s), {len(codes)} areas",
                           value=sum(e.value for e in estimates),
                           lower=sum(e.lower for e in estimates),
                           upper=sum(e.upper for e in estimates))
    if pd.isna(observed):
        raise DarkFigureError("too few linked people in this area and window to estimate and "
                              "show safely (below the disclosure threshold)")
    window = {"from": quarters[0], "to": quarters[-1], "years": years, "areas": list(codes),
              "observed": int(observed)}
    return table, window, expected


def _expected_text(out: dict, expected) -> str:
    w = out["window"]
    kind = expected.interval_kind
    lower = "" if not math.isfinite(expected.lower) else f"{expected.lower:,.0f}"
    return (f"\nWindow {w['from']} to {w['to']} ({w['years']:g} years). The estimate counts "
            f"people exploited at some time during the window; the same quantity expected "
            f"from the national scenario: {expected.value:,.0f} ({kind}: {lower} to "
            f"{expected.upper:,.0f}).")
