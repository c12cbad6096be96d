"""What a Dash callback request is, judged the way Dash itself will run it.

Dash runs the callback named by the payload's ``output`` and hands it the values of
``inputs`` and ``state`` **by position**; it never checks the ids and property names the
payload repeats. So a payload is classified (upload? download?) and validated against the
callback's declared dependencies in the app's callback map, position by position: a
client cannot dress an upload up as something else, nor slip a malformed view state, a
list where a string belongs or a megabyte of text past the boundary into a callback,
where it would become a 500 and a traceback in the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import flask

from dashboard.state import ViewState, from_dict, from_query, to_query

CALLBACK_PATH = "/_dash-update-component"
MAX_TEXT = 10_000  # characters in any one text value of a callback (uploads aside)
_TEXT_PROPS = {"search": 2048, "pathname": 2048, "href": 2048, "value": 200}
_FILE_PROPS = {"contents", "filename"}


@dataclass(frozen=True)
class CallbackKind:
    """What one callback request does."""

    known: bool
    upload: bool = False
    download: bool = False
    file_names: list[str] = field(default_factory=list)


def callback_payload() -> dict | None:
    """The JSON body of a Dash callback request (None for any other request)."""
    req = flask.request
    if req.method != "POST" or req.path != CALLBACK_PATH:
        return None
    payload = req.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


def _declared(callback: Mapping) -> list[dict]:
    return [*callback.get("inputs", []), *callback.get("state", [])]


def _sent(payload: dict) -> list:
    inputs, state = payload.get("inputs", []), payload.get("state", [])
    return [*(inputs if isinstance(inputs, list) else []), *(state if isinstance(state, list) else [])]


def _mentions_contents(node: object, depth: int = 0) -> bool:
    if depth > 20:
        return True
    if isinstance(node, dict):
        return node.get("property") == "contents" or any(
            _mentions_contents(v, depth + 1) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_contents(v, depth + 1) for v in node)
    return isinstance(node, str) and "contents" in node


def callback_kind(payload: dict, callback_map: Mapping | None) -> CallbackKind:
    """Classify a callback request by the callback it calls.

    An upload is a callback with an upload's ``contents`` among its declared inputs or
    state; a download one whose output is a ``dcc.Download``'s ``data``. Without a callback
    map the judgement fails closed: any payload mentioning ``contents`` is an upload.

    Examples
    --------
    >>> cmap = {"r.children": {"inputs": [{"id": "u", "property": "contents"}],
    ...                        "state": [{"id": "u", "property": "filename"}]}}
    >>> sneaky = {"output": "r.children", "inputs": [[{"id": "u", "property": "contentz"}]],
    ...           "state": [{"id": "u", "property": "filename", "value": ["a.csv"]}]}
    >>> callback_kind(sneaky, cmap).upload, callback_kind(sneaky, cmap).file_names
    (True, ['a.csv'])
    """
    output = payload.get("output")
    if callback_map is None:
        names = [str(n)[:200] for item in _sent(payload) if isinstance(item, dict)
                 and item.get("property") == "filename"
                 for n in (item.get("value") if isinstance(item.get("value"), list)
                           else [item.get("value")]) if n]
        return CallbackKind(known=False, upload=_mentions_contents(payload), file_names=names,
                            download=isinstance(output, str) and output.endswith("download.data"))
    callback = callback_map.get(output) if isinstance(output, str) else None
    if callback is None:
        return CallbackKind(known=False)
    declared, sent = _declared(callback), _sent(payload)
    upload = any(d.get("property") == "contents" for d in declared)
    names: list[str] = []
    for dep, item in zip(declared, sent, strict=False):
        if dep.get("property") == "filename" and isinstance(item, dict):
            value = item.get("value") or []
            names += [str(n)[:200] for n in (value if isinstance(value, list) else [value])]
    download = any(part.endswith("download.data") for part in output.split(".."))
    return CallbackKind(known=True, upload=upload, download=download, file_names=names)


def is_valid_view_state(data: object) -> bool:
    """True for a view state exactly as the app itself writes it (``ViewState.to_dict()``).

    Examples
    --------
    >>> is_valid_view_state({"sector": "all", "snapshot": 3}), is_valid_view_state(None)
    (True, True)
    >>> is_valid_view_state({"snapshot": "abc"}), is_valid_view_state({"sector": ["all"]})
    (False, False)
    >>> is_valid_view_state({"exact": True}), is_valid_view_state({"exact": "yes"})
    (True, False)

    ``exact`` is the one field that is not in the URL; a well-formed request for it is
    valid here and granted or refused by ``dashboard.state.from_dict``.
    """
    if data is None:
        return True
    if not isinstance(data, dict) or len(data) > len(fields(ViewState)):
        return False
    if not isinstance(data.get("exact", False), bool):
        return False
    try:
        state = from_dict(data)
        if not isinstance(state.board, bool) or not isinstance(state.exact, bool) or (
                state.snapshot is not None and (
                isinstance(state.snapshot, bool) or not isinstance(state.snapshot, int))):
            return False
        return from_query(to_query(state)) == replace(state, exact=False)
    except (TypeError, ValueError, AttributeError):
        return False


def _value_problem(dep: dict, value: object) -> str | None:
    prop, ident = dep.get("property"), dep.get("id")
    if prop in _FILE_PROPS:
        return None  # checked file by file in dashboard.uploads
    if ident == "filter-state" and prop == "data":
        return None if is_valid_view_state(value) else "the view state is not valid"
    if ident == "exact-mode" and prop == "data":
        return None if value is None or isinstance(value, bool) else "exact-mode must be true or false"
    if prop in ("n_clicks",) or (ident == "filter-snapshot" and prop == "data"):
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        return None if ok else f"{ident}.{prop} must be a whole number"
    if prop in _TEXT_PROPS:
        if value is None or isinstance(value, bool | int | float):
            return None
        if not isinstance(value, str) or len(value) > _TEXT_PROPS[prop]:
            return f"{ident}.{prop} must be a short text"
        return None
    return None if _text_within(value, MAX_TEXT) else f"{ident}.{prop} holds text that is too long"


def _text_within(node: object, limit: int, depth: int = 0) -> bool:
    if depth > 64:
        return False
    if isinstance(node, str):
        return len(node) <= limit
    if isinstance(node, dict):
        return all(_text_within(v, limit, depth + 1) for v in node.values())
    if isinstance(node, list):
        return all(_text_within(v, limit, depth + 1) for v in node)
    return True


def callback_problem(payload: dict, callback_map: Mapping | None) -> str | None:
    """Why a callback request must be answered 400, or None if it is well formed.

    The callback must exist; ``inputs`` and ``state`` must match its declared dependencies
    one for one (a dict each, for the callbacks this app has); every value must have the
    type and size its property allows, and the view state must be one the app could write.
    """
    if callback_map is None:
        return None
    output = payload.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "no such callback"
    callback = callback_map[output]
    for part, declared in (("inputs", callback.get("inputs", [])),
                           ("state", callback.get("state", []))):
        sent = payload.get(part, [])
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"the callback's {part} do not match its declaration"
        for dep, item in zip(declared, sent, strict=True):
            if isinstance(dep.get("id"), dict):
                continue  # pattern-matching dependency: Dash sends a list; none in this app
            if not isinstance(item, dict):
                return f"the callback's {part} do not match its declaration"
            problem = _value_problem(dep, item.get("value"))
            if problem:
                return problem
    return None
