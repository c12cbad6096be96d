"""Session fixtures shared across test modules: built once, copied where a test writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.config import SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A real DuckDB store built from the bundled sample (read it; copy it to write)."""
    from analysis.store import build_sample_store

    if not (SAMPLE_DIR / "agencies").exists():
        pytest.skip("data/sample/agencies is missing: run `darkfigure synth --out data/sample`")
    return build_sample_store(tmp_path_factory.mktemp("sample") / "sample.duckdb")
