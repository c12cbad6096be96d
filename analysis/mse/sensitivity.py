"""Method sensitivity: every multiple systems estimator on one table, side by side.

Published answers for the same lists differ two- to three-fold by method (UK 2013, five
lists: stepwise 11,313; BIC with bootstrap reselection 25,311, Silverman, Chan and Vincent
2024), so no single method's interval states the uncertainty. :func:`compare_methods` runs
stepwise selection (SparseMSE), BIC over all hierarchical models, model averaging over
decomposable graphs and the latent-class model, states the spread in a sentence, picks the
headline by a fixed rule (:data:`HEADLINE_ORDER`, explained in :data:`HEADLINE_REASON`) and
collects warnings: fewer than three lists, sparse overlaps, merged lists, evidence of
heterogeneity, and a window longer than a year (an open population).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.errors import DarkFigureError
from analysis.mse.tables import validate_table

METHODS = ("stepwise", "bic", "dga", "latent-class")
LABELS = {
    "stepwise": "Stepwise log-linear (SparseMSE)",
    "bic": "BIC over hierarchical models",
    "dga": "Model averaging, decomposable graphs",
    "latent-class": "Latent classes (LCMCR)",
}
# The headline: the first of these that ran and passed its checks, unless the latent-class
# estimate is above every log-linear interval (:func:`_loglinear_below`).
HEADLINE_ORDER = ("bic", "latent-class", "dga", "stepwise")
# Decomposable graphical models are log-linear models too: all three miss heterogeneity.
LOGLINEAR = ("bic", "dga", "stepwise")
HEADLINE_REASON = {
    "bic": ("BIC over all hierarchical models with the BCa bootstrap rerunning the choice is "
            "the current form of the method behind the Home Office estimate (Silverman, Chan "
            "and Vincent 2024); its interval carries the uncertainty of the model choice, "
            "which the stepwise interval does not"),
    "latent-class": ("the latent-class model allows heterogeneity of capture between people, "
                     "which biases the log-linear models down"),
    "heterogeneity": ("the latent-class estimate is above the upper limit of every log-linear "
                      "method's interval, the sign of heterogeneity of capture between "
                      "people, which biases log-linear estimates down, so their intervals "
                      "likely undercover (in the method note's simulations stepwise and model "
                      "averaging covered the true number in 0-27% of such populations); the "
                      "latent-class model allows heterogeneity and was less biased than "
                      "stepwise in every heterogeneity scenario"),
    "dga": "model averaging carries the uncertainty of the model choice into its interval",
    "stepwise": ("stepwise selection is the only method that could be run on this table"),
}
SPARSE_OVERLAP = 5
MAX_BIC_LISTS = 6


@dataclass(frozen=True)
class SensitivityResult:
    """Every method's estimate of one table, the headline and why, the spread and notes.

    ``results`` maps a method key (:data:`METHODS`) to its results object; methods that
    could not run are in ``failed`` with the reason.
    """

    observed: int
    lists: tuple[str, ...]
    results: dict = field(compare=False)
    headline: str
    reason: str
    spread: str
    notes: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    alpha: float = 0.05

    @property
    def best(self):
        """The headlined method's results object."""
        return self.results[self.headline]

    def table(self) -> pd.DataFrame:
        """One row per method: estimate, interval, its kind and method, model, checks."""
        rows = []
        for key, r in self.results.items():
            rows.append({
                "method": key, "label": LABELS[key], "estimate": r.estimate,
                "lower": r.lower, "upper": r.upper,
                "interval_kind": getattr(r, "interval_kind", "confidence"),
                "interval_method": r.interval_method, "model": _model_text(r),
                "headline": key == self.headline,
                "checks": "; ".join(f"{n} {v:.3g}" for n, v in getattr(r, "checks", ())),
                "notes": "; ".join(r.notes)})
        for key, why in self.failed:
            rows.append({"method": key, "label": LABELS[key], "estimate": math.nan,
                         "lower": math.nan, "upper": math.nan, "interval_kind": "",
                         "interval_method": "", "model": "", "headline": False, "checks": "",
                         "notes": f"not run: {why}"})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows (population and hidden) for every method, the headline flagged."""
        frames = [r.to_frame().assign(method_key=key, headline=key == self.headline)
                  for key, r in self.results.items()]
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict:
        """JSON-ready: the headline's fields at the top, every method under ``methods``."""
        best = self.best
        methods = []
        for key, r in self.results.items():
            methods.append({
                "method": key, "label": LABELS[key], "estimate": _num(r.estimate),
                "lower": _num(r.lower), "upper": _num(r.upper),
                "interval_method": r.interval_method,
                "interval_kind": getattr(r, "interval_kind", "confidence"),
                "confidence_level": 1 - r.alpha, "model": _model_text(r),
                "checks": {n: _num(v) for n, v in getattr(r, "checks", ())},
                "notes": list(r.notes)})
        methods += [{"method": key, "label": LABELS[key], "estimate": None, "lower": None,
                     "upper": None, "interval_method": None, "interval_kind": None,
                     "notes": [f"not run: {why}"]} for key, why in self.failed]
        return {"observed": self.observed, "estimate": _num(best.estimate),
                "lower": _num(best.lower), "upper": _num(best.upper),
                "hidden": _num(best.estimate - self.observed), "alpha": self.alpha,
                "confidence_level": 1 - self.alpha, "model": _model_terms(best),
                "method": best.method, "interval_method": best.interval_method,
                "interval_kind": getattr(best, "interval_kind", "confidence"),
                "headline": self.headline, "headline_reason": self.reason,
                "spread": self.spread, "lists": list(self.lists), "methods": methods,
                "notes": list(self.notes)}

    def summary(self) -> str:
        """Readable text: the table of methods, the headline and why, spread, notes."""
        lines = [f"Multiple systems estimates, {self.observed:,} people observed on "
                 f"{len(self.lists)} lists ({', '.join(self.lists)})", ""]
        for key, r in self.results.items():
            kind = "posterior" if getattr(r, "interval_kind", "") == "credible" else "CI"
            star = "*" if key == self.headline else " "
            lines.append(f"{star} {LABELS[key]:<38} {r.estimate:>9,.0f}   "
                         f"{self.alpha and 1 - self.alpha:.0%} {kind} {r.lower:,.0f} to "
                         f"{r.upper:,.0f}   ({r.interval_method})")
        lines += [f"  {LABELS[k]:<38} not run: {why}" for k, why in self.failed]
        lines += ["", f"Headline (*): {LABELS[self.headline]}, because {self.reason}.",
                  self.spread]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _model_text(r) -> str:
    return r.model if isinstance(r.model, str) else str(r.model)


def _model_terms(r) -> list | str:
    """The model as lists of list names when it is a log-linear model, else its text."""
    terms = getattr(r, "terms", None)
    if terms is not None:
        return [list(t) for t in terms]
    return _model_text(r)


def compare_methods(table: pd.DataFrame, methods=METHODS, *, bootstrap: int = 1000,
                    alpha: float = 0.05, random_state: int = 1234,
                    window_years: float | None = None, latent_class: dict | None = None,
                    stepwise: dict | None = None) -> SensitivityResult:
    """Run each method on the capture-pattern table; headline, spread and notes.

    ``bootstrap`` replicates serve the stepwise and BIC intervals; ``latent_class`` and
    ``stepwise`` pass options to those estimators. ``window_years`` is the length of the
    window the table covers (a note warns when it is over a year). A method that cannot run
    on this table (too many or too few lists) is listed in ``failed`` with the reason; if
    none runs, :class:`DarkFigureError` is raised.

    Examples
    --------
    >>> from analysis.mse.model import all_patterns
    >>> t = pd.DataFrame(all_patterns(3), columns=["A", "B", "C"])
    >>> t["count"] = [210, 140, 140, 90, 90, 60, 60]  # independent lists, N = 1,000
    >>> r = compare_methods(t, ["stepwise", "dga"], bootstrap=0)
    >>> r.headline, [round(x, -1) for x in r.table()["estimate"]]
    ('dga', [1000.0, 1000.0])
    """
    from analysis.mse.hierarchical import BICEstimator
    from analysis.mse.latent_class import LatentClassEstimator
    from analysis.mse.loglinear import MultipleSystemsEstimator
    from analysis.mse.model_averaging import MAX_LISTS, ModelAveragingEstimator

    methods = list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise DarkFigureError(f"unknown method(s) {', '.join(unknown) or '(none)'}; choose "
                              f"from {', '.join(METHODS)}")
    clean = validate_table(table)
    lists = tuple(c for c in clean.columns if c != "count")
    k = len(lists)
    builders = {
        "stepwise": lambda: MultipleSystemsEstimator(
            **{"bootstrap": bootstrap, "alpha": alpha, "random_state": random_state,
               **(stepwise or {})}),
        "bic": lambda: BICEstimator(bootstrap=bootstrap, alpha=alpha,
                                    random_state=random_state),
        "dga": lambda: ModelAveragingEstimator(alpha=alpha, random_state=random_state),
        "latent-class": lambda: LatentClassEstimator(
            **{"alpha": alpha, "random_state": random_state, **(latent_class or {})}),
    }
    limits = {"bic": (2, MAX_BIC_LISTS), "dga": (2, MAX_LISTS), "latent-class": (3, 99),
              "stepwise": (2, 99)}
    results, failed = {}, []
    for key in methods:
        low, high = limits[key]
        if not low <= k <= high:
            failed.append((key, f"needs {low} to {high} lists; this table has {k}"))
            continue
        try:
            results[key] = builders[key]().fit(table)
        except DarkFigureError as exc:
            failed.append((key, str(exc)))
    if not results:
        raise DarkFigureError("no multiple systems estimate could be made: " + "; ".join(
            f"{LABELS[k]}: {why}" for k, why in failed))
    headline, reason = choose_headline(results)
    notes = _notes(clean, table, lists, results, window_years)
    return SensitivityResult(
        observed=int(clean["count"].sum()), lists=lists, results=results, headline=headline,
        reason=reason, spread=_spread(results, alpha), notes=tuple(notes),
        failed=tuple(failed), alpha=alpha)


def _loglinear_below(results: dict) -> list[str]:
    """The log-linear methods whose interval's upper limit is below a converged latent-class
    estimate (the latent-class model and the log-linear ones then disagree about
    heterogeneity, and the log-linear intervals are the ones that miss it)."""
    lc = results.get("latent-class")
    if lc is None or not lc.converged:
        return []
    return [k for k in LOGLINEAR if k in results and math.isfinite(results[k].upper)
            and lc.estimate > results[k].upper]


def choose_headline(results: dict) -> tuple[str, str]:
    """The method to headline and why, from each method's results (keyed as :data:`METHODS`).

    The first of :data:`HEADLINE_ORDER` with a finite interval (the latent-class model only
    if its chains converged), except that a converged latent-class estimate above the upper
    limit of every log-linear method's interval is headlined instead: heterogeneity of
    capture is then likely, and under it the log-linear intervals undercover.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> fits = {"bic": R(estimate=1000, lower=900, upper=1200),
    ...         "latent-class": R(estimate=1100, lower=950, upper=1500, converged=True)}
    >>> choose_headline(fits)[0]
    'bic'
    >>> fits["latent-class"] = R(estimate=1300, lower=1100, upper=1800, converged=True)
    >>> choose_headline(fits)[0]
    'latent-class'
    """
    below = _loglinear_below(results)
    if below and len(below) == len([k for k in LOGLINEAR if k in results]):
        return "latent-class", HEADLINE_REASON["heterogeneity"]
    headline = next(iter(results))
    for key in HEADLINE_ORDER:
        r = results.get(key)
        if r is None or not math.isfinite(r.lower) or not math.isfinite(r.upper):
            continue
        if key == "latent-class" and not r.converged:
            continue
        headline = key
        break
    if len(results) == 1:
        return headline, "it is the method asked for"
    reason = HEADLINE_REASON[headline]
    if headline != HEADLINE_ORDER[0] and HEADLINE_ORDER[0] in results:
        reason += f" ({LABELS[HEADLINE_ORDER[0]]} did not pass its checks)"
    return headline, reason


def _spread(results: dict, alpha: float) -> str:
    """One sentence on how far the methods disagree."""
    if len(results) == 1:
        (key, r), = results.items()
        return (f"Only one method was run ({LABELS[key]}): run the others (--method all) to "
                "see how much the answer depends on the method.")
    est = {k: r.estimate for k, r in results.items()}
    low, high = min(est, key=est.get), max(est, key=est.get)
    lower = min(r.lower for r in results.values() if math.isfinite(r.lower))
    upper = max(r.upper for r in results.values() if math.isfinite(r.upper))
    ratio = est[high] / est[low]
    return (f"The {len(results)} methods' estimates run from {est[low]:,.0f} "
            f"({LABELS[low]}) to {est[high]:,.0f} ({LABELS[high]}), a factor of "
            f"{ratio:.1f}; their {1 - alpha:.0%} intervals together span {lower:,.0f} to "
            f"{upper:,.0f}. The choice of method is part of the uncertainty.")


def _notes(clean: pd.DataFrame, raw: pd.DataFrame, lists, results: dict,
           window_years: float | None) -> list[str]:
    notes = []
    if len(lists) < 3:
        notes.append(f"only {len(lists)} lists: with two lists the estimate rests wholly on "
                     "the untestable assumption that they are independent; dependence or "
                     "heterogeneity cannot be modelled")
    counts = clean["count"].to_numpy()
    flags = clean[list(lists)].to_numpy()
    empty, sparse = [], []
    for i, j in itertools.combinations(range(len(lists)), 2):
        n = int(counts[(flags[:, i] == 1) & (flags[:, j] == 1)].sum())
        name = f"{lists[i]}:{lists[j]}"
        if n == 0:
            empty.append(name)
        elif n < SPARSE_OVERLAP:
            # named, never counted: a pairwise overlap is a count of people, and below the
            # threshold the protection layer would show it as [c]
            sparse.append(name)
    if empty:
        notes.append("lists that never overlap: " + ", ".join(empty) + " (their "
                     "interactions are fitted as -inf; estimates lean on the other overlaps)")
    if sparse:
        notes.append(f"sparse overlaps (1 to {SPARSE_OVERLAP - 1} people each, not shown): "
                     + ", ".join(sparse))
    merged = raw.attrs.get("merged_lists")
    if merged:
        notes.append("lists merged: " + "; ".join(f"{new} = {' + '.join(old)}"
                                                  for new, old in merged.items())
                     + " (merging lists that depend on each other hides that dependence)")
    step = results.get("stepwise")
    if step is not None and math.isfinite(step.upper):
        above = [LABELS[k] for k, r in results.items()
                 if k != "stepwise" and r.estimate > step.upper]
        if above:
            notes.append("evidence of heterogeneity of capture (or dependence the stepwise "
                         "model misses): " + ", ".join(above) + " put the number above the "
                         "stepwise interval's upper limit; stepwise selection is then biased "
                         "down and its interval too narrow (see the simulation study in the "
                         "method note)")
    below = _loglinear_below(results)
    if below:
        lc = results["latent-class"]
        notes.append(f"the latent-class estimate ({lc.estimate:,.0f}) is above the upper "
                     "limit of the interval of " + ", ".join(LABELS[k] for k in below)
                     + ": the log-linear intervals likely undercover, since log-linear models "
                     "(decomposable graphs included) cannot represent heterogeneity of "
                     "capture shared by every list (see the method note's simulations)")
    if window_years is not None and window_years > 1:
        notes.append(f"the window spans {window_years:g} years: people enter and leave "
                     "exploitation over it, but the method assumes a closed population; "
                     "prefer annual windows (the default for the store)")
    for r in results.values():
        # the merged lists are already stated (with why it matters)
        notes += [n for n in r.notes if n not in notes and not n.startswith("lists merged")]
    return notes
