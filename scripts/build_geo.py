"""Copy the ONS boundaries the dashboard draws into data/reference/geo/, made small.

    python scripts/build_geo.py [--source /work/shared/reference/geo]

Coordinates are rounded (districts to 3 decimals, about 100 m; forces to 2 decimals with
consecutive duplicates dropped), which keeps the shapes recognisable on a screen-sized map and
the files small enough to send inside a figure. Only the properties the app needs are kept.
Licence and attribution: Office for National Statistics, Open Government Licence v3.0;
contains OS data (c) Crown copyright and database right (see data/reference/geo/README.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "reference" / "geo"


def _round_ring(ring, digits):
    out = []
    for x, y in ring:
        point = [round(x, digits), round(y, digits)]
        if not out or out[-1] != point:
            out.append(point)
    if len(out) >= 2 and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def _shrink(geometry, digits):
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [
        geometry["coordinates"]]
    kept = []
    for poly in polys:
        rings = [r for r in (_round_ring(r, digits) for r in poly) if r]
        if rings:
            kept.append(rings)
    return {"type": "MultiPolygon", "coordinates": kept}


def build(source: Path, name: str, target: str, code: str, label: str, digits: int) -> None:
    data = json.loads((source / name).read_text(encoding="utf-8"))
    features = [
        {"type": "Feature", "id": f["properties"][code],
         "properties": {"code": f["properties"][code], "name": f["properties"][label],
                        **({"force": f["properties"]["PFA_CD_derived"]}
                           if "PFA_CD_derived" in f["properties"] else {})},
         "geometry": _shrink(f["geometry"], digits)}
        for f in data["features"]
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features},
                      separators=(",", ":"))
    (OUT / target).write_text(text, encoding="utf-8")
    print(f"{target}: {len(features)} features, {len(text) / 1024:.0f} KB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/work/shared/reference/geo")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    src = Path(args.source)
    build(src, "lad_ew_2023_bsc.geojson", "districts_ew_2023.geojson", "LAD_CD", "LAD_NM", 3)
    build(src, "pfa_ew_2020_buc.geojson", "forces_ew_2020.geojson", "PFA_CD", "PFA_NM", 2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
