"""Browser uploads: decode, stage in a private temporary folder, ingest with the CLI's checks.

The store does the validation and is all-or-nothing: a file with any problem raises
``InputError`` listing every failing row and column, and nothing is stored. Every file is
checked here as it reaches the callback (Dash passes values by position, so checks made
on the request's shape prove nothing), and files are read and validated before the
store's write lock is taken, so readers wait only for the write itself.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.errors import DarkFigureError, InputError
from dashboard.security import file_problem

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


@dataclass(frozen=True)
class UploadOutcome:
    ok: bool
    message: str
    table: pd.DataFrame  # loads added, or the problems found
    rows_new: int = 0
    rows_updated: int = 0

    @property
    def stored(self) -> bool:
        """Whether the store changed (the audit trail records it)."""
        return self.ok and self.rows_new + self.rows_updated > 0


def safe_file_name(name: str) -> str:
    """A file name with no directory part or odd characters (uploads name their own files)."""
    base = Path(str(name).replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip(" .")
    return cleaned or "upload"


def decode_contents(contents: str) -> bytes:
    """dcc.Upload gives 'data:<mime>;base64,<payload>'."""
    _, _, payload = contents.partition(",")
    return base64.b64decode(payload)


def _refusal(message: str) -> UploadOutcome:
    return UploadOutcome(False, f"{message} Nothing was stored.", pd.DataFrame())


def ingest_uploads(
    store_path: Path, names: list[str], contents: list[str], kind: str | None = None
) -> UploadOutcome:
    """Stage the uploaded files (JSON files are mappings) and ingest the rest in one go."""
    from analysis.store import Store, stage_files

    names = names if isinstance(names, list) else [names]
    contents = contents if isinstance(contents, list) else [contents]
    if len(names) != len(contents) or not contents:
        return _refusal("Every uploaded file needs a name.")
    for name, content in zip(names, contents, strict=True):
        problem = file_problem(name, content)
        if problem is not None:
            return _refusal(problem[1])
    if kind not in (None, "auto", "referrals", "nrm"):
        return _refusal(f"Unknown kind of file {str(kind)[:40]!r}.")
    limit = config.max_upload_bytes()
    with tempfile.TemporaryDirectory(prefix="darkfigure-upload-") as tmp:
        folder = Path(tmp)
        (folder / "mappings").mkdir()
        data_files = []
        for name, content in zip(names, contents, strict=True):
            try:
                raw = decode_contents(content)
            except ValueError:
                return _refusal(f"{name}: the upload is not valid base64.")
            if len(raw) > limit:
                return UploadOutcome(
                    False,
                    f"{name} is larger than the {limit // 2**20} MB limit; nothing was stored.",
                    pd.DataFrame(),
                )
            safe = safe_file_name(name)
            target = folder / ("mappings" if safe.lower().endswith(".json") else "") / safe
            target.write_bytes(raw)
            if not safe.lower().endswith(".json"):
                data_files.append(target)
        if not data_files:
            return UploadOutcome(
                False,
                "Only mapping files were uploaded: add the data files "
                "they describe. Nothing was stored.",
                pd.DataFrame(),
            )
        try:
            # Read and validate first, outside the lock: only the write holds up readers.
            staged = stage_files(data_files, kind=None if kind in (None, "auto") else kind)
            # No dashboard lock: readers in this process join the writer's database and
            # read the last committed state (analysis.store.database).
            from dashboard.store_reader import release_store

            release_store()  # the shared reader, if idle, lets go now rather than in 2 s
            try:
                with Store(store_path) as store:
                    records = store.write(staged)
            finally:
                for item in staged:
                    item.discard()  # a large CSV's staged blocks, at once
        except InputError as exc:
            problems = exc.to_frame()
            return UploadOutcome(
                False, f"{len(problems):,} problem(s) found; nothing was stored.", problems
            )
        except DarkFigureError as exc:
            return UploadOutcome(False, f"{exc} Nothing was stored.", pd.DataFrame())
    from dashboard import warmup

    warmup.start(store_path)  # the new version's default views, before anyone opens them
    table = pd.DataFrame([dataclasses.asdict(r) for r in records])
    added = sum(r.rows_new for r in records)
    skipped = sum(r.skipped for r in records)
    note = f"; {skipped} already loaded, nothing added" if skipped else ""
    return UploadOutcome(True, f"Loaded {len(records)} file(s), {added:,} new row(s){note}.",
                         table, added, sum(r.rows_updated for r in records))
