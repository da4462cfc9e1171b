"""`study auth`: the password and API tokens that the web app asks for when it is served off this
computer (`study serve --host 0.0.0.0`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from study_tracker import clock
from study_tracker.accounts import service as accounts
from study_tracker.cli.app import app
from study_tracker.cli.errors import fail
from study_tracker.cli.output import console
from study_tracker.cli.tracker import store

auth_app = typer.Typer(
    help="Password and API tokens for a server reachable from other computers.", no_args_is_help=True
)
app.add_typer(auth_app, name="auth")
token_app = typer.Typer(
    help="API tokens (Authorization: Bearer) for scripts and API clients.", no_args_is_help=True
)
auth_app.add_typer(token_app, name="token")


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("New password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise fail("the two passwords differ: nothing was changed")
    return str(first)


@auth_app.command("set-password")
def set_password(
    user: Annotated[str, typer.Option(help="User name to sign in with.")] = accounts.DEFAULT_USER,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Set the password the web app asks for off loopback (signs out every browser of that user)."""
    password = _read_password(password_stdin)
    with store() as (session, settings):
        accounts.set_password(session=session, name=user, password=password, now=clock.now(settings))
    console.print(f"Password set for [bold]{escape(user)}[/]: `study serve --host ADDRESS` now asks for it.")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="What the token is for (e.g. laptop-script).")],
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    with store() as (session, settings):
        token = accounts.create_token(session=session, name=name, now=clock.now(settings))
    console.print(
        f"Token {escape(name)!r} (shown once; send it as `Authorization: Bearer TOKEN`):", highlight=False
    )
    typer.echo(token)


@token_app.command("list")
def token_list() -> None:
    """List the API tokens: name, created, last used."""
    with store() as (session, _):
        tokens = accounts.list_tokens(session)
        if not tokens:
            console.print("No API tokens.")
        for t in tokens:
            used = t.last_used_at.date().isoformat() if t.last_used_at else "never"
            console.print(
                f"{escape(t.name)}  created {t.created_at.date()}  last used {used}", highlight=False
            )


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Delete an API token: requests bearing it are refused from now on."""
    with store() as (session, _):
        accounts.revoke_token(session=session, name=name)
    console.print(f"Token {escape(name)!r} revoked.", highlight=False)
