"""Peer finding: obvious neighbours on a toy frame, scikit-learn conventions, real covariates."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError
from analysis.peers import PeerFinder, area_covariates, find_peers


def _toy() -> pd.DataFrame:
    # Two tight clusters far apart, plus one loner; growth in % so scales differ.
    return pd.DataFrame({"log_population": [10.0, 10.1, 10.05, 13.0, 13.1, 11.5],
                         "population_growth": [0.02, 0.021, 0.019, 0.08, 0.079, 0.05]},
                        index=["s1", "s2", "s3", "b1", "b2", "mid"])


def test_nearest_neighbours_on_a_tiny_frame_are_the_obvious_ones():
    finder = PeerFinder(n_neighbors=2).fit(_toy())
    assert set(finder.peers("s1")["peer_code"]) == {"s2", "s3"}
    assert finder.peers("b1")["peer_code"].iloc[0] == "b2"
    p = finder.peers("s3")
    assert "s3" not in set(p["peer_code"]) and p["distance"].is_monotonic_increasing


def test_standardisation_stops_units_deciding_similarity():
    X = pd.DataFrame({"a": [0.0, 0.0, 1.0], "b": [0.0, 1000.0, 0.0]}, index=["x", "y", "z"])
    # Raw distance would make z nearest to x (1 vs 1000); standardised, both are 1.5 sd away.
    d, _ = PeerFinder(n_neighbors=2, features=None).fit(X).kneighbors(["x"])
    assert d[0, 0] == pytest.approx(d[0, 1])


def test_estimator_follows_scikit_learn_conventions():
    finder = PeerFinder(n_neighbors=3, features=("log_population",))
    assert finder.get_params() == {"n_neighbors": 3, "features": ("log_population",)}
    assert finder.set_params(n_neighbors=2) is finder and finder.n_neighbors == 2
    assert not hasattr(finder, "scaler_")  # __init__ only stores parameters
    with pytest.raises(NotFittedError):
        finder.kneighbors(["s1"])
    assert finder.fit(_toy()) is finder
    fitted = sorted(k for k in vars(finder) if k.endswith("_"))
    assert fitted == ["areas_", "feature_names_in_", "n_features_in_", "nn_", "scaler_",
                      "standardised_"]
    copy = clone(finder)
    assert copy.get_params() == finder.get_params() and not hasattr(copy, "nn_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_passes_scikit_learns_estimator_checks():
    results = check_estimator(PeerFinder(n_neighbors=2, features=None), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []


def test_bad_inputs_are_clear_errors():
    with pytest.raises(DarkFigureError, match="not in the data"):
        PeerFinder(features=("density",)).fit(_toy())
    with pytest.raises(DarkFigureError, match="n_neighbors"):
        PeerFinder(n_neighbors=6).fit(_toy())
    bad = _toy()
    bad.loc["mid", "population_growth"] = np.nan
    with pytest.raises(DarkFigureError, match="mid"):
        PeerFinder(n_neighbors=2).fit(bad)
    with pytest.raises(DarkFigureError, match="not in the fitted data"):
        PeerFinder(n_neighbors=2).fit(_toy()).peers("zzz")


def test_area_covariates_come_from_the_census_reference_file():
    lad = area_covariates()
    assert len(lad) == 331
    leicester = lad.loc["E06000016"]
    assert leicester.population == 368_600
    raw = pd.read_csv(REFERENCE_DIR / "population_census2021_by_local_authority_ew.csv")
    row = raw.set_index("lad_code").loc["E06000016"]
    assert leicester.population_growth == pytest.approx(
        row.census_2021_usual_residents_rounded_100 / row.census_2011_usual_residents - 1)
    pfa = area_covariates("police_force_area")
    assert len(pfa) == 43 and pfa.loc["E23000021", "population"] == 1_121_800
    assert pfa.filter(like="region_").sum(axis=1).eq(1).all()


def test_find_peers_for_leicestershire_returns_named_forces_of_similar_size():
    peers = find_peers("E23000021", level="police_force_area", n_neighbors=5)
    assert len(peers) == 5 and "E23000021" not in set(peers["peer_code"])
    assert peers["population"].between(500_000, 2_500_000).all()
    assert peers["features"].iloc[0].startswith("log_population, population_growth")


def test_find_peers_within_a_restricted_set():
    leics_lads = ["E06000016", "E06000017", "E07000129", "E07000130", "E07000131",
                  "E07000132", "E07000133", "E07000134", "E07000135"]
    peers = find_peers("E06000016", n_neighbors=3, within=leics_lads)
    assert set(peers["peer_code"]) <= set(leics_lads)
    with pytest.raises(DarkFigureError, match="no covariates"):
        find_peers("S12000033")
