"""Write the synthetic sample: agency extracts, their mappings, truth.json and a README."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from analysis.synth.config import SynthConfig
from analysis.synth.detection import simulate_detections
from analysis.synth.extracts import EXTRACT_FORMATS, write_extracts
from analysis.synth.outcomes import add_police_outcomes, outcome_truth
from analysis.synth.population import Population, simulate_population
from analysis.synth.truth import build_truth

SAMPLE_SEED = 20240101


@dataclass(frozen=True)
class SampleResult:
    """What :func:`write_sample` wrote and the simulation behind it."""

    out_dir: Path
    files: tuple[Path, ...]
    truth: dict
    population: Population
    records: pd.DataFrame

    def summary(self) -> str:
        d = self.truth["detected"]
        return (f"synthetic sample in {self.out_dir}: {len(self.files)} files, "
                f"{d['records']} records of {d['distinct_victims']} distinct victims "
                f"(of {self.truth['distinct_victims']['total']} exploited in the window; "
                f"true flow {self.truth['flow']['total']} new victims), seed "
                f"{self.truth['seed']}")


def write_sample(out_dir: str | Path, seed: int = SAMPLE_SEED, *, scale: float | None = None,
                 config: SynthConfig | None = None) -> SampleResult:
    """Simulate and write a complete sample to ``out_dir``; same seed, same bytes.

    Parameters
    ----------
    out_dir : path
        Receives ``README.md``, ``truth.json``, ``agencies/`` and ``mappings/``. Other
        files there (e.g. ``nrm/``) are left alone.
    seed : int
        Random seed (the bundled sample uses 20240101).
    scale : float, optional
        Overrides ``config.scale`` (number of victims relative to the scaled national stock).
    config : SynthConfig, optional

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = write_sample(tmp, seed=5, scale=0.05)
    ...     sorted(p.name for p in Path(tmp).iterdir())
    ['README.md', 'agencies', 'mappings', 'truth.json']
    """
    config = config or SynthConfig()
    if scale is not None:
        config = replace(config, scale=float(scale))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    population = simulate_population(config, seed)
    records = simulate_detections(population)
    # Drawn last, from a stream of their own: every earlier value stays as it was.
    records = add_police_outcomes(records, config, seed)
    agencies = {a.slug: (a.agency, a.agency_type) for a in config.agencies}
    extracts = write_extracts(records, out_dir, agencies)
    file_of = {f.slug: f"agencies/{f.file_name}" for f in EXTRACT_FORMATS if f.slug in agencies}
    truth = build_truth(population, records, file_of)
    truth["justice"] = outcome_truth(records, config)
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    readme = out_dir / "README.md"
    readme.write_text(render_readme(truth), encoding="utf-8")
    mappings = tuple(out_dir / "mappings" / f"{slug}.json" for slug in file_of)
    return SampleResult(out_dir, (readme, truth_path, *extracts, *mappings), truth,
                        population, records)


def render_readme(truth: dict) -> str:
    """The sample's README: what it is, that every row is synthetic, how to regenerate it."""
    p = truth["parameters"]
    rows = "\n".join(
        f"| `{a['file']}` | {a['agency']} | {a['agency_type']} | {a['records']} | "
        f"{a['records_without_person_key']} | {a['distinct_victims']} |"
        for a in truth["agencies"])
    areas = "\n".join(
        f"| {a['area_code']} | {a['area_name']} | {a['population_census_2021']:,} | "
        f"{a['rate_multiplier']:.3f} | {a['expected_stock']:.1f} | "
        f"{a['expected_annual_flow']:.1f} |" for a in truth["stock"]["by_area"])
    d = truth["detected"]
    j = truth["justice"]["overall"] if "justice" in truth else None
    return f"""# Synthetic sample: Leicester, Leicestershire and Rutland, 2019 Q1 to 2025 Q4

**Every row in this folder is synthetic.** No real person, case or referral is described.
Agency names are used only to show the formats a Police and Crime Commissioner's office
receives; the numbers are not theirs. Two agencies are fictional and say so in their names.

Regenerate it, byte for byte, with:

```
{truth['regenerate']}
```

The code is `analysis/synth/` (`write_sample`); `data/sample/nrm/` is made separately.

## Contents

| path | what |
|---|---|
| `agencies/` | one extract per agency: its own headers, labels, dates, encoding |
| `mappings/` | one mapping per agency: headers -> schema columns, labels -> values |
| `truth.json` | the known truth: stock, flow, distinct victims, detection, MSE targets |

| file | agency | type | records | without person_key | distinct victims |
|---|---|---|---|---|---|
{rows}

In all: {d['records']:,} records of {d['distinct_victims']:,} distinct victims out of
{truth['distinct_victims']['total']:,} people exploited at some time in the window
({truth['flow']['total']:,} new victims entered exploitation during it).

Formats on purpose: Windows-1252 with semicolons and a label with "café" (police);
UTF-8 with a byte-order mark (county council, NGO); plain UTF-8 (others); XLSX with real
Excel dates (city council, hospital trust, HMRC); dates as dd/mm/yyyy, ISO, dd-mm-yyyy and
"05 Mar 2023"; Y/N, Yes/No and TRUE/FALSE; short codes such as "Lab" and "LAB".

## How it was made (all synthetic assumptions unless a source is named)

* **True stock.** {p['national_estimate']:,.0f} people in modern slavery in the UK on a given
  day (Walk Free Global Slavery Index 2023) over a population base of
  {p['population_base']:,.0f}, times Census 2021 residents of each district, times scale
  {p['scale']:g}. Leicester's rate is {p['urban_premium']:g} times the other districts'
  (a mild urban premium, an assumption), renormalised so the force-area total is unchanged:
  {truth['stock']['expected_total']:,.1f} on any day.
* **Stock and flow.** People enter exploitation as a Poisson process and stay an
  exponential time of mean {p['mean_duration_years']:g} years (an assumption), so the
  expected flow is stock / duration = {truth['flow']['expected_annual_total']:,.1f} new
  victims a year and the stock stays near its expected value on every day.
* **Sector mix by area.** Leicester weighted to garment manufacturing, car washes, nail bars,
  hospitality, care and county lines; Harborough, Melton, Rutland and North West
  Leicestershire to agriculture and food processing (North West Leicestershire also to
  'other', standing for warehousing); construction, domestic work, the sex industry and
  cannabis cultivation spread. Exploitation type follows sector (county lines and cannabis:
  criminal; sex industry: sexual; domestic: domestic servitude; others: labour) with
  {p['multiple_share']:.0%} 'multiple'. Children are mostly in county lines and cannabis
  cultivation; sex and nationality group vary by sector. The garment weighting is a design
  choice for testing, not evidence: the Director of Labour Market Enforcement's review of
  Operation Tacit found the prevalence of modern slavery in Leicester's garment sector low
  (mainly minimum-wage and health-and-safety breaches; `data/reference/`).
* **Detection.** Each agency detects a person at an annual rate set by sector (GLAA and HMRC
  labour sectors only; police mainly criminal and sexual exploitation; health a little of
  everything; councils only their own districts and children far more), times a person-level
  log-normal frailty (sigma {p['frailty_sigma']:g}, mean 1) shared across agencies. Police
  records lead to NGO records ({p['police_to_ngo']:.0%}); children known to police, health
  or the NGO are recorded by their council ({p['child_to_council']:.0%}). Rates rise
  {p['detection_trend_per_year']:g}x a year and jump {p['awareness_rate_ratio']:g}x from the
  awareness event on {p['awareness_date']}. About {p['repeat_record_share']:.0%} of persons
  an agency detects are recorded by it twice.
* **Crime outcomes (police extract only).** Whether a crime was recorded, the crime number,
  the offence (Modern Slavery Act 2015 section), the Home Office outcome type (1 to 22; blank
  while the investigation is open), the outcome date and the NRM referral date, drawn last
  from a separate random stream (`analysis/synth/outcomes.py`; every other value is as it
  was without them). Recording {j['crime_recorded_of_police_detected']['expected_share']:.0%}
  of police-detected people expected; {j['charged_of_recorded_by_extract']['expected_share']:.1%}
  of those with a recorded crime expected charged or summonsed by the extract date
  ({truth['justice']['extract_date']}); `truth.json` (`justice`) has the rest.
* **Linkage keys.** `person_key` is the first {p['key_hex_chars']} hex characters of
  HMAC-SHA256 of a synthetic identifier under a synthetic key; some agencies leave it blank
  for a share of records (see `truth.json`).
* **What to check estimates against.** `truth.json` holds the expected and realised stock
  by district, the true new victims by district x quarter (and x sector), the distinct
  victims exploited in each district and year (`mse_targets`: what a multiple systems
  estimate on the linked, keyed records of that district and period should recover; expect
  estimates below it, because catchability varies by person, sector, district and time
  exploited, as it does in life), each
  agency's records and mean detection probability, and the awareness event and its effect.
* **No personal data.** No names, dates of birth, addresses or notes; broad groups only.

## Expected stock and flow by district

| code | district | residents 2021 | rate multiplier | expected stock | new victims a year |
|---|---|---|---|---|---|
{areas}
"""
