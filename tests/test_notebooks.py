"""The worked notebooks: current with their sources, stripped in git, and they run clean.

Each notebook is executed with nbclient in a scratch working directory, as a researcher on a
fresh checkout would run it; ``data/`` must be byte-for-byte the same afterwards.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.scripts import load_script

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
DATA = REPO / "data"
CELL_TIMEOUT = 120
EXPECTED = ("01_detection_gap", "02_hidden_figure_mse", "03_national_context", "04_justice")


def _builder():
    return load_script("scripts/build_notebooks.py")


def test_every_expected_notebook_has_a_source_and_no_drafts_are_left():
    sources = {p.stem for p in _builder().sources()}
    assert set(EXPECTED) <= sources, sorted(set(EXPECTED) - sources)
    assert not list(NOTEBOOKS.glob("drafts/*.py")), "unbuilt drafts in notebooks/drafts/"


def _data_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(DATA)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_every_notebook_source_has_a_current_notebook():
    builder = _builder()
    for source in builder.sources():
        target = source.with_suffix(".ipynb")
        assert target.exists(), f"{target.name} missing: run python scripts/build_notebooks.py"
        assert target.read_text(encoding="utf-8") == builder.render(source), (
            f"{target.name} is out of date: run python scripts/build_notebooks.py")


def test_percent_format_splits_prose_and_code():
    cells = _builder().parse_cells('"""doc"""\n# %% [markdown]\n# # Title\n#\n# text\n\n'
                                   "# %%\nx = 1\n\n# %%\n\n")
    assert cells == [("markdown", "# Title\n\ntext"), ("code", "x = 1")]


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_notebook_has_no_outputs(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.exists(), f"{name}.ipynb missing: run python scripts/build_notebooks.py"
    tracked = subprocess.run(["git", "-C", str(REPO), "show", f"HEAD:notebooks/{name}.ipynb"],
                             capture_output=True, text=True)
    texts = [path.read_text(encoding="utf-8")]
    if tracked.returncode == 0:  # the committed version, when there is one
        texts.append(tracked.stdout)
    for text in texts:
        nb = json.loads(text)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, cell["id"]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_and_writes_nothing_into_data(name, tmp_path):
    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.exists(), f"{name}.ipynb missing: run python scripts/build_notebooks.py"
    nb = nbformat.read(path, as_version=4)
    before = _data_hash()
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert _data_hash() == before, f"{name} changed files under data/"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
