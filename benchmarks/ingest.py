"""Benchmark: validate + load N synthetic referrals from a CSV extract (default 1,000,000).

Prints rows/s and peak resident memory. Target on the 2-core reference machine:
<= 15 s and <= 1.5 GB for 1M rows. Run: python benchmarks/ingest.py [--rows N]

An extract over 32 MB is validated a block at a time (``analysis.ingest.csv_chunks``), so
memory stays flat as rows grow. 10,000,000 rows make a 1.4 GB file, over the default upload
limit of 200 MB: the limit (setting max_upload_mb) is raised to fit the file for this run.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

from analysis.store import Store, stage_files
from analysis.synth import simulate_referrals


def write_extract(path: Path, rows: int) -> None:
    """Write ``rows`` synthetic referrals as an agency would send them (text dates, Y/N)."""
    frame = simulate_referrals(rows, seed=1)
    frame["referral_date"] = frame["referral_date"].dt.strftime("%Y-%m-%d")
    frame["nrm_referred"] = frame["nrm_referred"].map({True: "Y", False: "N"})
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "extract.csv"
        # Generated in a child process so the peak RSS below is that of validate + load only.
        child = multiprocessing.get_context("spawn").Process(target=write_extract,
                                                             args=(path, args.rows))
        child.start()
        child.join()
        file_mb = round(path.stat().st_size / 1e6, 1)
        limit_mb = max(200, math.ceil(path.stat().st_size / 2**20) + 1)
        os.environ["DARKFIGURE_MAX_UPLOAD_MB"] = str(limit_mb)
        with Store(folder / "bench.duckdb") as store:  # reference tables loaded outside the timing
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            start = time.perf_counter()
            staged = stage_files([path], kind="referrals")  # read + validate, no lock held
            staged_at = time.perf_counter()
            (record,) = store.write(staged)  # the one transaction: readers wait only for this
            seconds = time.perf_counter() - start
            write_seconds = time.perf_counter() - staged_at
            for item in staged:
                item.discard()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "rows": record.rows, "file_mb": file_mb, "max_upload_mb": limit_mb,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(seconds, 2), "write_seconds": round(write_seconds, 2),
        "staged_in_blocks": staged[0].frame is None,
        "rows_per_second": round(record.rows / seconds),
        "peak_rss_mb": round(peak), "rss_before_load_mb": round(rss_before),
    }, indent=2))


if __name__ == "__main__":
    main()
