"""`darkfigure pseudonymise IN OUT --key-file K --id-columns "First name,Surname,Date of birth"`."""

from __future__ import annotations

import argparse

from analysis.pseudonymise import KINDS, create_key, pseudonymise_file

NAME = "pseudonymise"
HELP = ("Replace identifier columns with a keyed linkage key (person_key) before an agency "
        "shares an extract; run by the agency, never by the PCC office.")


def _id_columns(text: str) -> dict[str, str] | list[str]:
    """'First name,Surname,DOB:date' -> columns, with an optional ':kind' per column."""
    columns: dict[str, str | None] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, kind = part.rpartition(":") if part.rsplit(":", 1)[-1] in KINDS else (part, "", "")
        columns[name.strip()] = kind or None
    if all(k is None for k in columns.values()):
        return list(columns)
    from analysis.pseudonymise import kind_of_column
    return {c: k or kind_of_column(c) for c, k in columns.items()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="agency extract (.csv UTF-8 or .xlsx)")
    parser.add_argument("output", metavar="OUT", help="file to write (same format as IN)")
    parser.add_argument("--key-file", required=True,
                        help="file holding the forum's shared secret key (hex, 32+ bytes)")
    parser.add_argument("--id-columns", required=True, type=_id_columns,
                        help="comma-separated identifier headers; append :name, :date or :id "
                             "to set how a column is normalised (guessed from the header)")
    parser.add_argument("--key-column", default="person_key",
                        help="name of the new key column (default person_key)")
    parser.add_argument("--month-first", action="store_true",
                        help="read ambiguous dates such as 01/02/1990 as month first (US)")
    parser.add_argument("--create-key", action="store_true",
                        help="create KEY-FILE with a new random key first (refuses to overwrite)")


def run(args: argparse.Namespace) -> int:
    if args.create_key:
        create_key(args.key_file)
        print(f"created a new key in {args.key_file}: share it only with the forum's agencies, "
              "never with the PCC office")
    counts = pseudonymise_file(args.input, args.output, key_file=args.key_file,
                               id_columns=args.id_columns, key_column=args.key_column,
                               dayfirst=not args.month_first)
    print(f"wrote {args.output}: {counts['rows']} rows, {counts['keys']} with a {args.key_column}, "
          f"{counts['missing_keys']} without (an identifier was missing); identifier columns "
          "dropped")
    return 0
