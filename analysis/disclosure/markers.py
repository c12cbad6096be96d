"""How a protected table is laid out and shown, whichever layer protected it.

Each protected count column ``<col>`` has a flag ``<col>_suppressed`` (:data:`SUFFIX`);
for display the hidden ones become the GSS symbol ``[c]`` (confidential) and missing
ones ``[x]`` (not available), as in the Government Statistical Service's guidance on
symbols in tables. :mod:`analysis.disclosure.cellkey` (every count of people) and the
per-table suppression in :mod:`analysis.disclosure.suppression` (published tables
rearranged by hand) both write this layout; exports and pages read it.
"""

from __future__ import annotations

import pandas as pd

SUPPRESSED_MARKER = "[c]"
NOT_AVAILABLE_MARKER = "[x]"
SUFFIX = "_suppressed"


def format_suppressed(table: pd.DataFrame) -> pd.DataFrame:
    """Counts as text for display: hidden ones as ``[c]``, missing as ``[x]``.

    Columns with a ``<col>_suppressed`` flag are converted and the flag columns dropped
    (the GSS symbols: ``[c]`` confidential, ``[x]`` not available).

    Examples
    --------
    >>> t = pd.DataFrame({"n": pd.array([7, pd.NA, pd.NA], dtype="Int64"),
    ...                   "n_suppressed": [False, True, False]})
    >>> format_suppressed(t)["n"].tolist()
    ['7', '[c]', '[x]']
    """
    out = table.copy()
    flags = [c for c in out.columns if isinstance(c, str) and c.endswith(SUFFIX)
             and c[: -len(SUFFIX)] in out.columns]
    for flag in flags:
        col = flag[: -len(SUFFIX)]
        hidden = out[flag].fillna(False).to_numpy(dtype=bool)
        values = pd.to_numeric(out[col], errors="coerce")
        text = [SUPPRESSED_MARKER if h else (NOT_AVAILABLE_MARKER if pd.isna(v)
                                             else str(int(round(v))))
                for h, v in zip(hidden, values, strict=True)]
        out[col] = pd.Series(text, index=out.index, dtype=object)
    return out.drop(columns=flags)
