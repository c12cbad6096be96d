"""Build the worked notebooks (``notebooks/*.ipynb``) from their percent-format sources.

The reviewable source of each notebook is ``notebooks/NN_name.py`` in the "percent" format
that jupytext and VS Code read: ``# %%`` starts a code cell, ``# %% [markdown]`` a prose
cell whose lines are comments (``# `` is stripped). The ``.ipynb`` written beside it has no
outputs and stable cell ids, so git diffs show only changes to the source.

Usage::

    python scripts/build_notebooks.py           # (re)write every notebook
    python scripts/build_notebooks.py --check   # exit 1 if any .ipynb is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
MARKER = "# %%"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def sources() -> list[Path]:
    """The notebook sources: ``notebooks/NN_*.py``, in order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))


def _markdown(lines: list[str]) -> str:
    out = []
    for line in lines:
        if line.startswith("# "):
            out.append(line[2:])
        elif line.rstrip() in ("#", ""):
            out.append("")
        else:
            raise ValueError(f"markdown line is not a comment: {line!r}")
    return "\n".join(out).strip("\n")


def parse_cells(text: str) -> list[tuple[str, str]]:
    """Split percent-format text into ``(kind, source)`` cells; text before the first marker
    (the module docstring) is left out of the notebook."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(MARKER):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        source = _markdown(lines) if kind == "markdown" else "\n".join(lines).strip("\n")
        if source:
            out.append((kind, source))
    return out


def to_notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook of one source file: no outputs, cell ids ``<stem>-NN``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    for i, (kind, text) in enumerate(parse_cells(source.read_text(encoding="utf-8"))):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(text)
        cell["id"] = f"{source.stem[:2]}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(source: Path) -> str:
    """The ``.ipynb`` text for a source, exactly as written to disk."""
    return nbformat.writes(to_notebook(source)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report notebooks that differ from their source; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for source in sources():
        target = source.with_suffix(".ipynb")
        text = render(source)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target.name)
        if not args.check:
            target.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run python scripts/build_notebooks.py): " + ", ".join(stale))
        return 1
    print(("rewrote: " + ", ".join(stale)) if stale else "notebooks are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
