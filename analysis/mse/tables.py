"""Capture-pattern tables for multiple systems estimation: build, read and validate.

A capture-pattern table has one 0/1 column per list (the list names are the column names) and
a ``count`` column: the number of people seen on exactly that combination of lists. This is the
input of :class:`analysis.mse.MultipleSystemsEstimator` and of ``darkfigure mse FILE.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DarkFigureError, InputError, Problem
from analysis.mse.model import all_patterns

# Lists for agency types, as the page, the CLI's store route and notebook 2 define them: the
# three labour-market inspectors (GLAA, HMRC's minimum wage team, supply-chain auditors) see
# the same sectors and are small, and police and Home Office Immigration Enforcement are both
# enforcement; merged as the Home Office's 2014 analysis merged police forces with the
# National Crime Agency. Five lists keep every method in reach (BIC over all hierarchical
# models and graph averaging grow with 2**(k(k-1)/2) models).
AGENCY_TYPE_MERGE = {"glaa": "labour_inspection", "hmrc": "labour_inspection",
                     "business": "labour_inspection", "police": "enforcement",
                     "home_office": "enforcement"}


def capture_patterns(referrals: pd.DataFrame, list_column: str = "agency_type", *,
                     min_list_size: int = 1, merge: Mapping[str, str] | None = None
                     ) -> pd.DataFrame:
    """People per capture pattern, from records linked by ``person_key``.

    A person is on a list when at least one of their records has that value of
    ``list_column``. Every observable pattern (``2**k - 1`` rows, zeros included) is returned,
    lists sorted by name. Records without a person key cannot be linked and are left out;
    their number is in ``table.attrs["unlinked_records"]`` (the estimator repeats it in its
    notes). Records with no value of ``list_column`` are left out too.

    Lists too small to model can be merged, as the published analyses do (police forces and
    the National Crime Agency became one list in the 2014 Home Office analysis): ``merge``
    renames lists (``{"nca": "police", ...}``; several names onto one merges them) and then
    every list with fewer than ``min_list_size`` people is pooled into one list ``"other"``.
    The merges made are in ``table.attrs["merged_lists"]``.

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["a", "a", "b", "c", None],
    ...                   "agency_type": ["police", "ngo", "police", "ngo", "ngo"]})
    >>> t = capture_patterns(r)
    >>> t.to_dict("list")
    {'ngo': [1, 0, 1], 'police': [0, 1, 1], 'count': [1, 1, 1]}
    >>> t.attrs["unlinked_records"]
    1
    """
    for column in ("person_key", list_column):
        if column not in referrals.columns:
            raise DarkFigureError(f"referrals have no column '{column}'")
    if min_list_size < 1:
        raise DarkFigureError(f"min_list_size must be 1 or more; got {min_list_size}")
    key = referrals["person_key"]
    linked_mask = (key.notna() & (key.astype("string").str.strip() != "")).fillna(False)
    linked = referrals.loc[linked_mask.astype(bool), ["person_key", list_column]]
    linked = linked.dropna(subset=[list_column])
    lists = linked[list_column].astype(str)
    merged: dict[str, list[str]] = {}
    if merge:
        lists = lists.map(lambda name: merge.get(name, name))
        for old, new in merge.items():
            if old != new and old in set(linked[list_column].astype(str)):
                merged.setdefault(new, []).append(old)
    sizes = pd.Series(linked["person_key"].to_numpy()).groupby(lists.to_numpy()).nunique()
    small = sorted(sizes.index[sizes < min_list_size])
    if len(small) > 0:
        lists = lists.where(~lists.isin(small), "other")
        merged.setdefault("other", []).extend(small)
    names = sorted(lists.unique())
    if not names:
        raise DarkFigureError("no linked records (none has a person key): nothing to estimate")
    seen = pd.crosstab(linked["person_key"].to_numpy(), lists.to_numpy()).reindex(
        columns=names, fill_value=0) > 0
    observed = seen.astype(np.int64).value_counts()
    patterns = all_patterns(len(names))
    table = pd.DataFrame(patterns, columns=names)
    lookup = {tuple(int(v) for v in idx) if isinstance(idx, tuple) else (int(idx),): int(n)
              for idx, n in observed.items()}
    table["count"] = [lookup.get(tuple(row), 0) for row in patterns.tolist()]
    table.attrs["unlinked_records"] = int(len(referrals) - int(linked_mask.sum()))
    table.attrs["list_column"] = list_column
    table.attrs["merged_lists"] = {new: sorted(old) for new, old in merged.items()}
    return table


def read_capture_table(path: str | Path) -> pd.DataFrame:
    """Read and validate a capture-pattern CSV (0/1 columns per list plus ``count``).

    Raises :class:`analysis.errors.InputError` naming every bad row and column.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(f, "w").write("A,B,count\\n1,0,30\\n0,1,20\\n1,1,10\\n")
    >>> read_capture_table(f)["count"].sum()
    np.int64(60)
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise DarkFigureError(f"cannot read {path}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return validate_table(frame, source=path.name)


def validate_table(table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check a capture-pattern table and return it clean (int columns, all ``2**k - 1`` cells).

    Problems with the file (missing ``count``, values other than 0/1, negative or non-whole
    counts, duplicate patterns) raise :class:`InputError`; data that cannot be modelled (one
    list, a list with no records, every record in one cell) raise :class:`DarkFigureError`.

    Examples
    --------
    >>> validate_table(pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [3, 4]}))["count"].tolist()
    [3, 4, 0]
    >>> validate_table(pd.DataFrame({"A": [1, 2], "count": [3, 4]}))
    Traceback (most recent call last):
    ...
    analysis.errors.InputError: 1 problem(s); nothing was stored:
      - table, row 3, column 'A': capture flags must be 0 or 1 (value: '2')
    """
    problems: list[Problem] = []
    if "count" not in table.columns:
        raise InputError([Problem(source, None, "count", "missing column 'count'")])
    lists = [c for c in table.columns if c != "count"]
    if not lists:
        raise InputError([Problem(source, None, None, "no list columns beside 'count'")])
    flags = pd.DataFrame(index=table.index)
    for column in lists:
        values = pd.to_numeric(table[column], errors="coerce")
        for row in table.index[~values.isin([0, 1])]:
            problems.append(Problem(source, int(row) + 2, column,
                                    "capture flags must be 0 or 1", str(table.at[row, column])))
        flags[column] = values
    counts = pd.to_numeric(table["count"], errors="coerce")
    for row in table.index:
        value = counts[row]
        if pd.isna(value) or value != np.floor(value):
            problems.append(Problem(source, int(row) + 2, "count", "count must be a whole number",
                                    str(table.at[row, "count"])))
        elif value < 0:
            problems.append(Problem(source, int(row) + 2, "count", "count must not be negative",
                                    str(table.at[row, "count"])))
    if problems:
        raise InputError(problems)
    flags = flags.astype(np.int64)
    duplicated = flags.duplicated(keep="first")
    for row in table.index[duplicated]:
        problems.append(Problem(source, int(row) + 2, None, "duplicate capture pattern",
                                "".join(str(v) for v in flags.loc[row])))
    unseen = flags.sum(axis=1) == 0
    for row in table.index[unseen & (counts > 0)]:
        problems.append(Problem(source, int(row) + 2, None,
                                "the pattern on no list cannot be observed", str(counts[row])))
    if problems:
        raise InputError(problems)
    k = len(lists)
    if k < 2:
        raise DarkFigureError("multiple systems estimation needs at least two lists; got "
                              f"one ({lists[0]})")
    lookup = {tuple(r): int(c) for r, c in zip(flags.itertuples(index=False), counts, strict=True)}
    patterns = all_patterns(k)
    out = pd.DataFrame(patterns, columns=lists)
    out["count"] = [lookup.get(tuple(r), 0) for r in patterns.tolist()]
    out.attrs.update(table.attrs)
    per_list = {name: int(out.loc[out[name] == 1, "count"].sum()) for name in lists}
    empty = [name for name, n in per_list.items() if n == 0]
    if empty:
        raise DarkFigureError(f"list(s) with no records: {', '.join(empty)}; drop or merge them")
    if int((out["count"] > 0).sum()) == 1:
        raise DarkFigureError("every record is in one capture pattern: the lists carry no "
                              "information on overlap, so nothing can be estimated")
    return out
