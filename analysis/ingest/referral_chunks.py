"""A large agency CSV extract, mapped and validated a block at a time (bounded memory).

:class:`ReferralChunks` gives the same validated rows and the same problems as
:func:`analysis.ingest.referrals.read_referrals` on the whole file, but holds one block of
records at a time (``analysis.ingest.csv_chunks``): each block is mapped and validated on
its own, keeping the file's row numbers. The one check across rows, a ``record_id``
repeated within an agency, cannot be judged block by block: every row's key (row,
agency, record_id) is handed out with its block, and the caller finds the repeats over
the whole file (``analysis.store.staging`` does it in DuckDB) and passes them to
:meth:`ReferralChunks.finish`, which words them as the whole-file check does. Problems
are capped at ``MAX_PROBLEMS`` as there, however many blocks hold them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from analysis.errors import InputError, Problem
from analysis.ingest.csv_chunks import CHUNK_BYTES, CsvChunks
from analysis.ingest.referral_problems import _label, duplicate_reason
from analysis.ingest.referrals import (
    MAX_PROBLEMS,
    Mapping,
    _dedupe,
    apply_mapping,
    find_mapping,
    referral_problems,
    refuse_personal_data,
)

KEY_COLUMNS = ["row", "agency", "record_id"]


class ReferralChunks:
    """Iterate ``(keys, valid)`` per block: ``keys`` has ``row``, ``agency`` and
    ``record_id`` of every row of the block; ``valid`` is the block's validated rows, or
    None once any problem has been found in the file (nothing will be stored then).
    Afterwards call :meth:`finish` with the repeated keys."""

    def __init__(self, path: str | Path, mapping: Mapping | str | Path | None = None, *,
                 name: str | None = None, chunk_bytes: int = CHUNK_BYTES):
        self.path = Path(path)
        self.name = name or self.path.name
        if mapping is None:
            mapping = find_mapping(self.path) or Mapping()
        elif not isinstance(mapping, Mapping):
            mapping = Mapping.from_file(mapping)
        self.mapping = mapping
        self.header_of: dict[str, str] = {}
        self.rows = 0
        self._reader = CsvChunks(self.path, self.name, encoding=mapping.encoding,
                                 delimiter=mapping.delimiter, chunk_bytes=chunk_bytes)
        self._kept: list[Problem] = []  # the first MAX_PROBLEMS in the order they are shown
        self._unrowed: set[Problem] = set()  # file-level problems repeat in every block
        self._counted = 0

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
        first = True
        for raw in self._reader:
            if first:
                refuse_personal_data(list(raw.columns), self.name, self._reader.header_row)
                first = False
            frame, early, self.header_of = apply_mapping(raw, self.mapping, self.name)
            if any(p.reason.startswith("required column") for p in early):
                raise InputError(early)
            keys = pd.DataFrame({"row": (frame.index.to_numpy() + 2).astype("int64"),
                                 "agency": frame["agency"].astype(str).to_numpy(),
                                 "record_id": frame["record_id"].astype(str).to_numpy()})
            valid, problems = referral_problems(frame, self.name, self.header_of, early,
                                                duplicates=False)
            self._add(problems)
            self.rows += len(frame)
            yield keys, (valid.reset_index(drop=True) if valid is not None and not self.failed
                         else None)

    @property
    def failed(self) -> bool:
        """Whether any problem has been found so far (duplicates aside)."""
        return self._counted > 0

    def _add(self, problems: list[Problem]) -> None:
        fresh = []
        for problem in _dedupe(problems):
            if problem.row is None:
                if problem in self._unrowed:
                    continue
                self._unrowed.add(problem)
            fresh.append(problem)
        self._counted += len(fresh)
        self._kept = _dedupe(self._kept + fresh)[:MAX_PROBLEMS]

    def duplicate_problems(self, repeated: pd.DataFrame) -> list[Problem]:
        """Problems for rows whose (agency, record_id) repeats, worded as the whole-file
        check words them. ``repeated`` has ``row``, ``record_id`` and ``rows`` (up to ten
        rows holding the same record_id, comma-separated)."""
        column = _label("record_id", self.header_of)
        return [Problem(self.name, int(row), column, duplicate_reason(rows), str(record_id))
                for row, record_id, rows in zip(repeated["row"], repeated["record_id"],
                                                repeated["rows"], strict=True)]

    def finish(self, repeated: pd.DataFrame | None = None, repeated_total: int = 0) -> None:
        """Raise one InputError with every problem of the file (reading problems first, as
        the whole-file reader raises them before any validation). ``repeated`` is the first
        ``MAX_PROBLEMS`` rows (by row) whose (agency, record_id) repeats in the file, as
        :meth:`duplicate_problems` takes them, out of ``repeated_total``."""
        self._reader.finish()
        duplicates = [] if repeated is None else self.duplicate_problems(repeated)
        total = self._counted + max(repeated_total, len(duplicates))
        if not total:
            return
        problems = _dedupe(self._kept + duplicates)
        if total <= MAX_PROBLEMS:
            raise InputError(problems)
        raise InputError([*problems[:MAX_PROBLEMS], Problem(
            self.name, None, None, f"{total - MAX_PROBLEMS:,} more problem(s) not listed; fix "
            "those above (often one wrong mapping entry) and load again")])


REPEATED_KEYS_SQL = f"""
WITH k AS (SELECT row, agency, record_id FROM read_parquet($files)),
d AS (SELECT agency, record_id FROM k GROUP BY agency, record_id HAVING count(*) > 1),
r AS (SELECT k.row, k.record_id FROM k SEMI JOIN d USING (agency, record_id)),
ids AS (SELECT record_id, array_to_string(list(row ORDER BY row)[1:10], ', ') AS rows
        FROM r GROUP BY record_id)
SELECT r.row, r.record_id, ids.rows, count(*) OVER () AS total
FROM r JOIN ids USING (record_id) ORDER BY r.row LIMIT {MAX_PROBLEMS}
"""
