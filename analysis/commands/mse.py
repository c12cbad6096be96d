"""`darkfigure mse`: multiple systems estimate from a capture-pattern CSV or the store."""

from __future__ import annotations

import argparse
import json

from analysis.errors import DarkFigureError

NAME = "mse"
HELP = "Multiple systems estimate of the hidden number from overlapping lists."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE.csv",
                        help="capture-pattern table: one 0/1 column per list and 'count'")
    parser.add_argument("--store", metavar="PATH", help="build the table from stored referrals")
    parser.add_argument("--area", metavar="CODE", action="append",
                        help="district or police force area code (repeatable; with --store)")
    parser.add_argument("--period", metavar="FROM:TO", help="inclusive quarters (with --store)")
    parser.add_argument("--lists", choices=("agency_type", "agency"), default="agency_type",
                        help="what makes a list (with --store; default agency_type)")
    parser.add_argument("--criterion", choices=("stepwise", "aic", "bic"), default="stepwise")
    parser.add_argument("--pthresh", type=float, default=0.02,
                        help="stepwise entry threshold (default 0.02)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="bootstrap replicates (default 0: model-conditional interval)")
    parser.add_argument("--interval", choices=("conditional", "profile", "bca", "parametric"),
                        default=None, help="interval reported (default: bca with --bootstrap, "
                        "else conditional; all computed ones are listed)")
    parser.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from analysis.mse import MultipleSystemsEstimator, capture_patterns, read_capture_table

    if (args.file is None) == (args.store is None):
        raise DarkFigureError("give either FILE.csv or --store PATH")
    if args.file is not None:
        table = read_capture_table(args.file)
    else:
        from analysis.detection import districts_of
        from analysis.periods import parse_period_range
        from analysis.store import Store

        start, end = parse_period_range(args.period)
        # a police force area or region is the sum of its districts, as the store keeps them
        areas = sorted({d for a in args.area for d in districts_of(a)}) if args.area else None
        with Store(args.store, read_only=True) as store:
            referrals = store.referrals(area_codes=areas, start=start, end=end)
        if referrals.empty:
            raise DarkFigureError("no stored referrals for this area and period")
        table = capture_patterns(referrals, list_column=args.lists)
    estimator = MultipleSystemsEstimator(criterion=args.criterion, pthresh=args.pthresh,
                                         alpha=args.alpha, bootstrap=args.bootstrap,
                                         interval=args.interval, random_state=args.seed)
    result = estimator.fit(table)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
    return 0
