"""`landingzone admin user ...`: portal users, the people who sign in to the portal.

The commands call the same use-cases as the admin API (``domain/users.py``). A
password is never an argument (it would sit in the shell history and in ``ps``):
it comes from standard input with ``--password-stdin``, or the system makes a
one-time one, printed once, that the user replaces at the first sign-in.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from landingzone.cli.output import JsonFlag, emit_json, fail, table
from landingzone.cli.server.operator import operator
from landingzone.domain.models import User, UserRole
from landingzone.domain.users import IssuedUser
from landingzone.timeutil import iso_z

user_app = typer.Typer(
    no_args_is_help=True, help="Portal users: operators (every customer) and members (one)."
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (at least 12 characters) instead of "
        "printing a one-time one.",
    ),
]


def user_json(user: User) -> dict[str, Any]:
    """The admin API's document of a user: `--json` and the API say the same."""
    # Imported here: the server stack, which operator() has loaded by now.
    from landingzone.api.admin_users import user_json as document

    return document(user)


def read_password() -> str:
    """Standard input, less one line ending (``printf`` and ``echo`` both work)."""
    return sys.stdin.read().removesuffix("\n").removesuffix("\r")


def show_issued(issued: IssuedUser, done: str, json: bool) -> None:
    if json:
        emit_json({**user_json(issued.user), "oneTimePassword": issued.one_time_password})
        return
    typer.echo(done)
    if issued.one_time_password is not None:
        typer.echo("One-time password (shown once; it must be changed at the first sign-in):")
        typer.echo(f"  {issued.one_time_password}")


@user_app.command("create")
def user_create(
    email: str,
    as_operator: Annotated[
        bool, typer.Option("--operator", help="An operator: sees every customer.")
    ] = False,
    customer: Annotated[
        str | None, typer.Option("--customer", help="A member of this customer.")
    ] = None,
    password_stdin: PasswordStdin = False,
    json: JsonFlag = False,
) -> None:
    """Create a portal user: --operator, or a member of --customer NAME."""
    if as_operator == (customer is not None):
        fail("give exactly one of --operator or --customer NAME.", code=2)
    password = read_password() if password_stdin else None
    role = UserRole.OPERATOR if as_operator else UserRole.MEMBER
    with operator() as op:
        issued = op.users.create(email, role, customer, password)
    who = "operator" if as_operator else f"member of customer {customer}"
    show_issued(issued, f"Created user {issued.user.email} ({who}).", json)


@user_app.command("list")
def user_list(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's members.")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """List portal users (never a password or its hash)."""
    with operator() as op:
        users = op.users.list_all(customer)
    if json:
        emit_json([user_json(u) for u in users])
        return
    rows = [
        (
            u.email,
            u.role.value,
            u.customer or "",
            "yes" if u.enabled else "disabled",
            "one-time" if u.must_change_password else "",
            iso_z(u.last_sign_in_at) if u.last_sign_in_at else "never",
        )
        for u in users
    ]
    table("Users", ["email", "role", "customer", "enabled", "password", "last sign-in"], rows)


@user_app.command("disable")
def user_disable(email: str, json: JsonFlag = False) -> None:
    """Disable a user: their sign-ins are refused from now on."""
    with operator() as op:
        user = op.users.disable(email)
    if json:
        emit_json(user_json(user))
    else:
        typer.echo(f"Disabled user {user.email}; their sign-ins are refused from now on.")


@user_app.command("enable")
def user_enable(email: str, json: JsonFlag = False) -> None:
    """Enable a disabled user again."""
    with operator() as op:
        user = op.users.enable(email)
    if json:
        emit_json(user_json(user))
    else:
        typer.echo(f"Enabled user {user.email}.")


@user_app.command("reset-password")
def user_reset_password(
    email: str, password_stdin: PasswordStdin = False, json: JsonFlag = False
) -> None:
    """Give a user a new password: a one-time one, or one read with --password-stdin."""
    password = read_password() if password_stdin else None
    with operator() as op:
        issued = op.users.reset_password(email, password)
    show_issued(issued, f"Reset the password of {issued.user.email}.", json)
