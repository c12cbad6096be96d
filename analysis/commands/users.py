"""`darkfigure users add|remove|list`: manage who may log in to the dashboard.

The password is read from standard input (first line) or prompted for, never taken as an
argument, where it would show in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from analysis import accounts, config
from analysis.errors import DarkFigureError

NAME = "users"
HELP = "Manage dashboard users: add NAME --role viewer|analyst|admin, remove NAME, list."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users-file", default=None,
                        help="users file (default: DARKFIGURE_USERS_FILE or "
                             "~/.darkfigure/users.json)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add a user; the password comes from stdin or a prompt")
    add.add_argument("username")
    add.add_argument("--role", choices=accounts.ROLES, default="viewer",
                     help="viewer (read), analyst (may upload) or admin (default viewer)")
    add.add_argument("--replace", action="store_true",
                     help="change the password and role of an existing user")
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    sub.add_parser("list", help="list users and their roles (never hashes)")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise DarkFigureError("The two passwords differ; nothing was changed.")
    return first


def run(args: argparse.Namespace) -> int:
    path = config.users_file() if args.users_file is None else Path(args.users_file)
    audit = config.audit_log()
    if args.action == "add":
        user = accounts.add_user(path, args.username, _read_password(), args.role,
                                 replace=args.replace)
        accounts.append_audit(audit, None, "user_added", username=user.username, role=user.role,
                              replaced=args.replace)
        print(f"{user.username} ({user.role}) saved in {path}.")
    elif args.action == "remove":
        accounts.remove_user(path, args.username)
        accounts.append_audit(audit, None, "user_removed", username=args.username)
        print(f"{args.username} removed from {path}.")
    else:
        users = accounts.read_users(path)
        if not users:
            print(f"No users in {path}.")
        for user in users.values():
            print(f"{user.username}\t{user.role}")
    return 0
