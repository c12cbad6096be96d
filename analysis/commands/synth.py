"""`darkfigure synth --out DIR --seed N [--scale X] [--json]`: write a synthetic sample."""

from __future__ import annotations

import argparse
import json

from analysis.errors import DarkFigureError

NAME = "synth"
HELP = ("Write a synthetic sample (agency extracts in their own formats, mappings, truth.json, "
        "README) for Leicester, Leicestershire and Rutland, 2019 Q1 to 2025 Q4. All rows are "
        "synthetic.")


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from analysis.synth.sample import SAMPLE_SEED

    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write (e.g. data/sample); other files there are kept")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED,
                        help=f"random seed (default {SAMPLE_SEED}, the bundled sample)")
    parser.add_argument("--scale", type=_positive, default=1.0,
                        help="victims relative to the scaled national stock (default 1)")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")


def run(args: argparse.Namespace) -> int:
    from analysis.synth.sample import write_sample

    try:
        result = write_sample(args.out, seed=args.seed, scale=args.scale)
    except OSError as exc:
        raise DarkFigureError(f"cannot write the sample to {args.out}: {exc}") from exc
    if args.json:
        t = result.truth
        print(json.dumps({
            "out": str(result.out_dir), "seed": t["seed"], "files": len(result.files),
            "records": t["detected"]["records"],
            "distinct_victims_detected": t["detected"]["distinct_victims"],
            "distinct_victims_in_window": t["distinct_victims"]["total"],
            "true_flow": t["flow"]["total"],
            "records_by_agency": {a["agency"]: a["records"] for a in t["agencies"]},
        }, indent=2))
    else:
        print(result.summary())
    return 0
