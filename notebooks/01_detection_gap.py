"""Notebook 1: from the sample files to the detection gap (source of 01_detection_gap.ipynb)."""

# %% [markdown]
# # 1. From agency files to the detection gap, by area and sector
#
# **The question.** How many people newly enter modern slavery in Leicester, Leicestershire
# and Rutland in a year under the national estimate, how many of those new victims did the
# forum's agencies detect, and how large is the gap, with honestly labelled uncertainty and
# every assumption in view?
#
# **The data.** The synthetic sample in `data/sample/`: ten agency extracts in their own
# formats (CSV in three encodings, XLSX), each with a mapping file, for 2019 Q1 to 2025 Q4.
# *Every row is synthetic*; `data/sample/truth.json` holds the truth they were drawn from,
# which lets us check the estimates at the end.
#
# **The chain.** raw files -> validated referrals in a store -> detected counts -> expected
# figure from a national prevalence scenario -> detection ratio and gap -> model of
# detection over areas, quarters and sectors. Everything runs through the public API of
# `analysis`, the same functions the dashboard calls. The store is built in a temporary
# folder; nothing is written under `data/`.
#
# **Privacy.** Counts derived from record-level data are shown only after
# `analysis.disclosure.suppress_small_counts` (counts of 1-4 hidden as `[c]`, with secondary
# suppression so no hidden count can be recovered from a total). Estimates fitted to the
# unprotected counts are shown as ratios and intervals.

# %%
import json
import tempfile
from pathlib import Path

import pandas as pd

from analysis import assumptions, config
from analysis.composition import composition
from analysis.detection import detected_counts, detection_ratio
from analysis.detection_glm import fit_detection_model
from analysis.disclosure import format_suppressed, suppress_series, suppress_small_counts
from analysis.expected import expected_during_window, expected_flow, expected_grid
from analysis.headline import headline
from analysis.scenarios import scenario_table
from analysis.funnel import funnel
from analysis.periods import quarter_range
from analysis.reference import read_areas
from analysis.schema import SECTORS
from analysis.shrinkage import shrink_ratios
from analysis.store import Store, sample_files
from analysis.tables import count_referrals, first_detections
from analysis.trends import forecast_counts, interrupted_time_series, quarterly_series
from dashboard.figures import funnel as funnel_figures
from dashboard.figures import gap as gap_figures
from dashboard.figures import sectors as sector_figures
from dashboard.figures import trends as trend_figures

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)
FORCE = "E23000021"              # Leicestershire police force area
PERIOD = ("2025Q1", "2025Q4")    # the product's default: the latest four complete quarters
SCENARIO = "gsi_2023"            # the default national scenario

# %% [markdown]
# ## 1. Ingest: validate the agency files and load them into a store
#
# `Store.ingest` reads each file with its mapping (agency headers -> schema columns, agency
# codes -> schema values), validates every row against the referrals schema, and loads all
# files in one transaction: if any file has a problem, nothing is loaded and every problem is
# reported with file, row and column. Loading the same file twice adds nothing.

# %%
workdir = tempfile.TemporaryDirectory()
store = Store(Path(workdir.name) / "sample.duckdb")
files = sample_files(config.SAMPLE_DIR)
for record in store.ingest(files):
    print(record)

# %%
referrals = store.referrals()
print(f"{len(referrals):,} referral records from {referrals['agency'].nunique()} agencies, "
      f"{referrals['quarter'].min()} to {referrals['quarter'].max()}")
print(f"{referrals['person_key'].isna().sum()} records have no linkage key")
referrals.drop(columns=["record_id", "person_key"]).head(3).transpose()

# %% [markdown]
# ### What "detected" means here
#
# A *detected* count is the number of **new victims** in the area and period, as the
# dashboard and the CLI show it: records are linked by `person_key` and each person counts
# once, in the area, sector and quarter of their **first-ever record in the store** (any
# agency, any date; `analysis.detection.new_victims`); records without a key count once each.
# So counts add up: four quarters make the year, seven years the whole window. Records by
# agency (before linking), protected:

# %%
by_agency = count_referrals(referrals, ["agency_type", "agency"], name="records")
by_agency = by_agency[by_agency["records"] > 0]
format_suppressed(suppress_small_counts(by_agency, "records"))

# %% [markdown]
# ## 2. Detected new victims by district, in the reporting year

# %%
districts = read_areas().query("pfa_code == @FORCE")[["lad_code", "lad_name"]]
quarters = quarter_range(*PERIOD)
first_ever = first_detections(referrals)          # the whole store: first-ever records
in_period = first_ever[first_ever["area_code"].isin(districts["lad_code"])
                       & first_ever["quarter"].isin(quarters)]
detected = detected_counts(referrals, by=["area_code", "quarter"], quarters=quarters,
                           area_codes=list(districts["lad_code"]))
by_district = count_referrals(in_period, "area_code", levels={"area_code": districts["lad_code"]})
by_district = by_district.merge(districts, left_on="area_code", right_on="lad_code")
format_suppressed(suppress_small_counts(by_district[["lad_name", "detected"]], "detected"))

# %% [markdown]
# ## 3. The expected figure and every assumption behind it
#
# 1. **Scenario (a stock).** Walk Free's Global Slavery Index 2023 estimates 122,000 people in
#    modern slavery in the UK *on any given day* in 2021, 1.8 per 1,000 of a population base
#    of 67,886,000. GSI 2023 publishes no interval, and none is invented.
# 2. **Scaling.** The rate times each area's Census 2021 usual residents, so areas add up.
# 3. **Stock to new victims.** In a steady state, stock = entry rate x mean duration (Little's
#    law), so expected new victims a year = stock / mean duration of exploitation. No
#    published *mean* duration was found: the default is a labelled assumption (2 years).
# 4. **Uncertainty.** The duration is the stated sensitivity (1 to 5 years): a **range over
#    assumptions**, which carries no confidence level. The other published figures are not
#    folded into it: each is its own row, converted by what it counts, and flagged when it is
#    superseded, not a prevalence estimate, or contradicted by the NRM's own counts.

# %%
scenario_table(FORCE, period_years=len(quarters) / 4)[
    ["label", "quantity", "status", "national_new_per_year", "expected", "expected_lower",
     "expected_upper", "contradicted", "note"]].round(0)

# %%
print(assumptions.DEFAULT_DURATION.describe())
force_expected = expected_flow(FORCE, scenario=SCENARIO, period_years=len(quarters) / 4)
print(force_expected.summary())

# %% [markdown]
# ### The headline, as the dashboard, the CLI and the pack show it
#
# `analysis.headline.headline` is the one path to the headline: every stored referral in, the
# period rule applied (here the explicit 2025; by default the latest four complete quarters),
# out comes an `AreaDetectionResult` with the ratio's 95% count interval and, separately, its
# range over durations.

# %%
result = headline(referrals, FORCE, ":".join(PERIOD), loads=store.loads())
print(result.summary())

# %%
force_detected = suppress_small_counts(
    pd.DataFrame({"area": [FORCE], "detected": [int(detected["detected"].sum())]}), "detected")
shown = force_detected["detected"].iloc[0]
gap_figures.gap_band(None if pd.isna(shown) else int(shown), force_expected.value,
                     force_expected.lower, force_expected.upper,
                     label=force_expected.area_name, range_label=force_expected.interval_kind,
                     axis_title="People: new victims in 2025")

# %% [markdown]
# ## 4. Detection ratio by district: funnel plot and shrinkage
#
# The expected figure per district and quarter (`expected_grid`) is joined to the detected
# counts. The funnel plot compares each district with the force-wide ratio (detected /
# expected over all districts), with exact Poisson limits; the shrinkage estimates pull small
# districts towards that ratio and give 95% posterior intervals. Both are fitted on the
# unprotected counts; the tables shown hide the counts of suppressed districts.

# %%
grid = expected_grid(list(districts["lad_code"]), quarters, scenario=SCENARIO)
area_quarter = detected.merge(grid, on=["area_code", "quarter"]).merge(
    districts.rename(columns={"lad_code": "area_code", "lad_name": "area_name"}), on="area_code")
district_funnel = funnel(area_quarter)
print(district_funnel.summary())

# %%
funnel_figures.funnel_plot(district_funnel.table, district_funnel.curve(),
                           district_funnel.target, x_title="Expected new victims in 2025",
                           y_title="Detection ratio (detected / expected)", label_all=True)

# %%
shrunk = shrink_ratios(area_quarter)
print(shrunk.summary())

# %% [markdown]
# The detection ratios by district, with the suppressed districts' counts hidden in the
# table a reader would download:

# %%
protected = suppress_small_counts(shrunk.table, "observed")
format_suppressed(protected[["area_name", "observed", "expected", "posterior_mean", "lower",
                             "upper"]]).round(3)

# %%
gap_figures.ratio_bars(shrunk.table.assign(ratio=shrunk.table["posterior_mean"],
                                           ratio_lower=shrunk.table["lower"],
                                           ratio_upper=shrunk.table["upper"]))

# %% [markdown]
# ### Detection ratio and gap with intervals (`analysis.detection`)
#
# For the force and for each district in the reporting year: detected new victims with an
# exact Poisson (Garwood) interval, the detection ratio detected / expected and the gap
# expected - detected. Each has a 95% count interval at the stated assumption and,
# separately, a range over durations of 1 to 5 years (no confidence level). The district
# table hides suppressed counts.

# %%
year_detected = detected_counts(referrals, by=["area_code"], quarters=quarters,
                                area_codes=list(districts["lad_code"]))
force_gap = detection_ratio(int(year_detected["detected"].sum()), force_expected)
print(force_gap.summary())

# %%
district_gaps = {row.area_code: detection_ratio(
                     int(row.detected),
                     expected_flow(row.area_code, scenario=SCENARIO, period_years=len(quarters) / 4))
                 for row in year_detected.itertuples()}
district_table = pd.DataFrame([
    {"area_code": code, "detected": r.detected, "expected": r.expected.value,
     "ratio": r.value, "ratio_95_lower": r.lower, "ratio_95_upper": r.upper,
     "ratio_duration_low": r.ratio_range.lower, "ratio_duration_high": r.ratio_range.upper,
     "gap": r.gap.value}
    for code, r in district_gaps.items()]).merge(
    districts.rename(columns={"lad_code": "area_code", "lad_name": "area_name"}), on="area_code")
format_suppressed(suppress_small_counts(district_table, "detected")).set_index(
    "area_name").drop(columns="area_code").round(3)

# %% [markdown]
# ### A model of detection over district x quarter x sector
#
# The whole series 2019-2025, one cell per district, quarter and sector, with the expected
# figure of the cell (equal sector shares, see section 5) as offset log(expected):
# `fit_detection_model` fits a Poisson GLM, tests for overdispersion (Cameron-Trivedi) and
# switches to negative binomial when it is present. Rate ratios are relative to the reference
# district and sector; the trend is the change in detection per year (over the whole series,
# so it also absorbs the October 2023 step that section 6 models separately). Sectors
# 'other' and 'unknown' have no expected share and are left out.

# %%
all_quarters = quarter_range("2019Q1", "2025Q4")
share_sectors = [s for s in SECTORS if s not in ("other", "unknown")]
sector_shares = assumptions.equal_shares(share_sectors)
cells = detected_counts(referrals, by=("area_code", "quarter", "sector"),
                        quarters=all_quarters, area_codes=list(districts["lad_code"])).merge(
    expected_grid(list(districts["lad_code"]), all_quarters, scenario=SCENARIO,
                  shares=sector_shares), on=["area_code", "quarter", "sector"])
detection_model = fit_detection_model(cells)
print(detection_model.summary())
print(detection_model.trend.summary())

# %%
detection_model.rate_ratios().round(3)

# %% [markdown]
# ## 5. By sector, and who the new victims are
#
# No published split of UK prevalence by sector (or by age) exists, so there is no expected
# figure for a sector and **no detection ratio by sector**: the sectors are counts of new
# victims, protected before display. (The equal sector shares in the model above are an
# offset whose sector terms absorb the split; they are not an expected figure.) Composition
# is the honest comparison: the share of new victims who are children, UK nationals or of
# each exploitation type, with Wilson intervals, against all UK NRM referrals.

# %%
by_sector = count_referrals(in_period, "sector", levels={"sector": SECTORS})
by_sector = suppress_small_counts(by_sector, "detected")
format_suppressed(by_sector)

# %%
sector_figures.detected_vs_expected(by_sector, "sector", axis_title="New victims in 2025")

# %%
mix = suppress_small_counts(composition(in_period), "count")
format_suppressed(mix[["group", "count", "known", "share", "share_lower", "share_upper",
                       "national_share", "difference"]]).round(3)

# %% [markdown]
# ## 6. Is detection changing? The quarterly series and an interrupted time series
#
# The whole series, 2019 to 2025, with the expected figure as exposure (an offset), so the
# effects are on the detection *rate*. The forum ran an awareness campaign in October 2023;
# the segmented regression (Wagner et al. 2002) estimates the level change at that quarter
# and the yearly trend before it, choosing negative binomial over Poisson when the data are
# over-dispersed.

# %%
series = quarterly_series(
    count_referrals(first_detections(referrals), "quarter", levels={"quarter": all_quarters}).merge(
        expected_grid([FORCE], all_quarters, scenario=SCENARIO), on="quarter"),
    count="detected", exposure="expected")
its = interrupted_time_series(series, "2023Q4", count="detected", exposure="expected")
print(its.summary())

# %%
forecast = forecast_counts(series, count="detected")
print(forecast.summary())
shown_series = suppress_series(series, "detected", time_column="quarter")
trend_figures.trend_chart(
    shown_series,
    forecast=forecast.forecast.rename(columns={"value": "mean"}),
    interventions=pd.DataFrame({"quarter": ["2023Q4"], "label": ["awareness campaign"]}))

# %% [markdown]
# ## 7. Against the truth
#
# The sample was simulated from the same GSI 2023 rate with a mean duration of 2 years, so
# the expected figure's central value should match the simulated flow, and the simulated
# awareness effect (rate ratio 1.25) and trend (x1.03 a year) are what the interrupted time
# series should recover.

# %%
truth = json.loads((config.SAMPLE_DIR / "truth.json").read_text())
print(f"true expected new victims a year: {truth['flow']['expected_annual_total']:,.1f}; "
      f"our central expected figure for {len(quarters)} quarters: {force_expected.value:,.1f}")
true_new = sum(n for area in truth["flow"]["by_area_quarter"].values()
               for q, n in area.items() if q in quarters)
true_first = truth["detected"]["first_detections_by_year"][PERIOD[0][:4]]
r = result.detection
print(f"true share of 2025's new victims who came to notice (true first detections / true "
      f"entries): {true_first / true_new:.1%}; our ratio {r.value:.1%} (95% count interval "
      f"{r.lower:.1%} to {r.upper:.1%}; over durations {r.ratio_range.lower:.1%} to "
      f"{r.ratio_range.upper:.1%})")
window = expected_during_window(FORCE, window_years=7, scenario=SCENARIO)
print(f"people exploited during 2019-2025: true {truth['distinct_victims']['total']:,}; "
      f"expected {window.value:,.0f} ({window.interval_kind}: {window.lower:,.0f} to "
      f"{window.upper:,.0f}); this, not the one-day stock, is what notebook 2's MSE measures")
print(f"true awareness rate ratio {truth['awareness_event']['rate_ratio']}: "
      f"estimated {its.level_change.value:.2f} ({its.level_change.lower:.2f} to "
      f"{its.level_change.upper:.2f})")
print(f"true detection trend {truth['awareness_event']['detection_trend_per_year']} a year: "
      f"estimated {its.pre_trend.value:.3f} ({its.pre_trend.lower:.3f} to "
      f"{its.pre_trend.upper:.3f})")
print(f"true share of victims detected at all in 2019-2025: "
      f"{truth['detected']['share_of_distinct_victims']:.1%}")

# %% [markdown]
# ## 8. Reading the detection gap
#
# * The **expected** figure is a scenario, not a measurement: about 1,008 new victims a year
#   for the force under GSI 2023, 403 to 2,016 over assumed durations of 1 to 5 years. The
#   duration matters more than any sampling error here, which is why the ratio's 95% count
#   interval and its range over durations are always given separately.
# * The Home Office 2014 figure counts people exploited during 2013; converted to new victims
#   it implies fewer a year nationally than the NRM now records, so the scenario table flags
#   it as contradicted by the data rather than spanning it into an interval.
# * The **detected** count is new victims (people at their first-ever record); unlinked
#   records count once each; agencies in the forum are not all agencies that meet victims.
#   In the first two years of the store, people exploited before records began inflate it
#   (left censoring), which is why the default period is the latest complete year.
# * Differences between districts are judged against the funnel limits and shrinkage
#   intervals, not by rank; the equal sector shares make the sector view a description of
#   where detections fall, not evidence that one sector is under-detected.
#
# Notebook 2 estimates the hidden figure bottom-up from the overlaps between agencies' lists
# and sets it beside this top-down expected figure.

# %%
store.close()
workdir.cleanup()
