"""Helpers for the red-team regression tests (tests/test_red_team_*.py): a real app over a
real store, users of every role, and HTTP requests shaped as an attacker sends them."""

from __future__ import annotations

import base64
import io
import re
import shutil
import zipfile
from pathlib import Path

from analysis import accounts

PASSWORDS = {"vera": "viewer-password-1", "ana": "analyst-password-2", "adam": "admin-password-3"}
ROLES = {"vera": "viewer", "ana": "analyst", "adam": "admin"}
UPLOAD_OUTPUT = "data-upload-result.children"


def make_site(folder: Path, sample_store: Path):
    """(app, files): the real dashboard, login on, over a private copy of the sample store."""
    from dashboard.app import create_app
    from dashboard.auth import install_auth

    store = folder / "store.duckdb"
    shutil.copy(sample_store, store)
    files = {"users_file": folder / "users.json", "secret_key_file": folder / "secret_key",
             "audit_log": folder / "audit.jsonl"}
    for name, password in PASSWORDS.items():
        accounts.add_user(files["users_file"], name, password, ROLES[name])
    app = create_app(store)
    install_auth(app.server, enabled=True, **files)
    return app, {**files, "store": store}


def login(client, name: str, password: str | None = None, *, address: str = "127.0.0.1",
          next_url: str = "/"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    return client.post("/login", environ_base={"REMOTE_ADDR": address},
                       data={"csrf": token, "username": name, "next": next_url,
                             "password": PASSWORDS[name] if password is None else password})


def data_url(raw: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(raw).decode()


def upload_payload(names: list[str], contents: list[str], kind: str = "auto") -> dict:
    """The Data page's upload callback exactly as the browser posts it."""
    return {"output": UPLOAD_OUTPUT,
            "outputs": {"id": "data-upload-result", "property": "children"},
            "inputs": [{"id": "data-upload", "property": "contents", "value": contents}],
            "state": [{"id": "data-upload", "property": "filename", "value": names},
                      {"id": "data-kind", "property": "value", "value": kind}],
            "changedPropIds": ["data-upload.contents"]}


def referrals_csv(rows: int, seed: int) -> bytes:
    """A valid agency extract of ``rows`` synthetic referrals with ids unique to ``seed``."""
    from analysis.synth.referrals import simulate_referrals

    frame = simulate_referrals(rows, seed=seed)
    frame["record_id"] = [f"RT{seed}-{i}" for i in range(len(frame))]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def referral_count(store: Path) -> int:
    from analysis.store import Store

    with Store(store, read_only=True) as s:
        return s.summary()["tables"]["referrals"]


def far_cells_xlsx(path: Path) -> Path:
    """A 1 KB workbook with cells at A1 and ZZ200000: readers build a 140-million-cell grid
    (5.4 GB in python-calamine 0.9 on the reference machine)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml",
                   '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is>'
                   '</c></row><row r="200000"><c r="ZZ200000" t="inlineStr"><is><t>y</t></is>'
                   "</c></row></sheetData></worksheet>")
    return path


def repeated_cells_ods(path: Path) -> Path:
    """A 1 KB ODS whose one cell repeats 1,000 times across 20,000 repeated rows."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml",
                   f'<office:document-content {ns}><office:body><office:spreadsheet>'
                   '<table:table table:name="S"><table:table-row '
                   'table:number-rows-repeated="20000"><table:table-cell '
                   'office:value-type="string" table:number-columns-repeated="1000">'
                   "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
                   "</office:spreadsheet></office:body></office:document-content>")
    return path
