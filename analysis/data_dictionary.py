"""The data dictionary (docs/data_dictionary.md): every table's schema in
:mod:`analysis.schema` rendered as Markdown, so the documentation cannot drift from the
checks the loader runs."""

from __future__ import annotations

from analysis.schema import SCHEMA_VERSION, TABLE_SCHEMAS


def render_data_dictionary() -> str:
    """Render every schema as a Markdown data dictionary.

    Examples
    --------
    >>> text = render_data_dictionary()
    >>> "| `person_key` |" in text
    True
    """
    lines = ["# Data dictionary", "", f"Schema version {SCHEMA_VERSION}. Generated from "
             "`analysis/schema.py` by `analysis.data_dictionary.render_data_dictionary()`; "
             "do not edit by hand.", ""]
    for table, model in TABLE_SCHEMAS.items():
        schema = model.to_schema()
        lines += [f"## `{table}`", "", (model.__doc__ or "").strip(), "",
                  "| column | type | missing allowed | description |", "|---|---|---|---|"]
        for name, column in schema.columns.items():
            lines.append(
                f"| `{name}` | {column.dtype} | {'yes' if column.nullable else 'no'} | "
                f"{column.description or ''} |"
            )
        lines.append("")
    return "\n".join(lines)
