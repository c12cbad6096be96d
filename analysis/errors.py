"""Errors a user can act on. The CLI prints them without a traceback; the dashboard shows them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class DarkFigureError(Exception):
    """Base class for errors caused by input or settings, not by a bug."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file. ``row`` is the 1-based row in the file as a
    spreadsheet shows it (header = row 1); None when the problem is not about one row."""

    file: str
    row: int | None
    column: str | None
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        value = f" (value: {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where)}: {self.reason}{value}"


class InputError(DarkFigureError):
    """An input file failed validation; nothing was stored. Holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s); nothing was stored:\n{shown}{tail}")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(p) for p in self.problems], columns=["file", "row", "column", "reason", "value"]
        )
