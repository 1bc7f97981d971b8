"""The `hvis` command line: the one place that reads .env and the environment, builds things and translates
errors (exit 0 on success, 2 on bad usage or input, 1 on other failures, with one line on stderr)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import click
from dotenv import load_dotenv

from bot import exports
from bot.clock import Clock
from bot.config import load_settings
from bot.errors import BadInput, HvisError
from bot.rules import anonymity, decks
from bot.rules.schedule import check_timezone, local, parse_start
from bot.services import privacy, sessions, summaries
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.webapi import SlackFailure
from storage import StorageError, Store
from storage.keys import KeyError_, KeyStore


def main(argv: list[str] | None = None) -> int:
    """Run a command; returns the exit status instead of exiting (tests call this in process)."""
    load_dotenv(Path.cwd() / ".env", override=False)  # real environment variables win
    try:
        status = cli.main(args=argv, prog_name="hvis", standalone_mode=False,
                          obj={"settings": lambda: load_settings(os.environ)})  # an Exit(n) comes back as n
    except click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and isinstance(getattr(exc.ctx, "command", None), click.Group):
            # `hvis` or `hvis session` alone: one line naming what there is (SPEC: a one-line reason)
            names = ", ".join(exc.ctx.command.list_commands(exc.ctx))
            click.echo(f"{exc.ctx.command_path}: missing command; choose from {names} "
                       f"(more with {exc.ctx.command_path} --help)", err=True)
            return 2
        where = f"{exc.ctx.command_path}: " if exc.ctx else "hvis: "
        click.echo(f"{where}{_one_line(exc.format_message())}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        return 130
    except HvisError as exc:
        click.echo(f"hvis: {_one_line(str(exc))}", err=True)
        return exc.exit_code
    except (StorageError, KeyError_) as exc:
        click.echo(f"hvis: {_one_line(str(exc))}", err=True)
        return 2
    except SlackFailure as exc:
        click.echo(f"hvis: Slack answered {exc.error}", err=True)
        return 1
    except (OSError, sqlite3.Error) as exc:
        # Not the user's input but the machine: one line, exit 1 (the bot's own log keeps tracebacks).
        click.echo(f"hvis: {_machine(exc)}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return status if isinstance(status, int) else 0


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500] or "error"


def _machine(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return _one_line(str(exc)) or type(exc).__name__


def _settings(ctx: click.Context):
    return ctx.obj["settings"]()


def _store(settings, create: bool = False) -> Store:
    store = Store(settings.db_path)
    return store.migrate() if create else store.existing()


def _linker(settings) -> Linker:
    return Linker(KeyStore(settings.key_store_path))


@click.group(help="Slack bot for “Tænk nu, hvis…” theme days.", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    pass


@cli.command(help="Run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on PORT).")
@click.pass_context
def run(ctx: click.Context) -> None:
    from bot.runtime import Bot

    settings = _settings(ctx)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("slack_sdk", "slack_bolt", "hvis.bolt", "websockets"):  # at DEBUG they log payloads
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # a line per busy tick otherwise
    bot = Bot(settings)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if settings.socket_mode:
            bot.start_socket_mode()
        else:
            bot.start_http(port=settings.port)
        bot.wait()
    except KeyboardInterrupt:
        logging.getLogger("hvis").info("stopping")
    finally:
        bot.stop()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a platform stopping the worker) shuts down like Ctrl-C: finish the tick, close the server."""
    raise KeyboardInterrupt


@cli.command(help="Check tokens, permissions, channels and the database, and say what to fix.")
@click.pass_context
def doctor(ctx: click.Context) -> None:
    from bot.services.doctor import diagnose, report

    checks = diagnose(_settings(ctx))
    click.echo(report(checks))
    if not all(check.ok for check in checks):
        raise click.exceptions.Exit(1)


@cli.command(help="An offline rehearsal of a whole theme day against a local Slack stand-in.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for the exports (default: a new folder under ./demo-output).")
@click.option("--speed", type=click.FloatRange(1, 100000), default=240.0, show_default=True,
              help="How many times faster than real time the day runs.")
def demo(out: Path | None, speed: float) -> None:
    from bot.demo import run_demo

    # The rehearsal talks to itself on loopback: never through a proxy set for the outside world.
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    status = run_demo(out=out, speed=speed)
    if status:
        raise click.exceptions.Exit(status)


@cli.group(help="Create, list, show, close and cancel sessions.")
def session() -> None:
    pass


@session.command(help="Create a session from a deck; prints its id.")
@click.option("--title", required=True, help="What the theme day is called.")
@click.option("--channel", required=True, help="Slack channel id, e.g. C0123ABCD.")
@click.option("--deck", help="Deck path or name under prompts/ (default: the Danish welfare deck).")
@click.option("--start", required=True, help="Date and time, ISO 8601, e.g. 2026-03-12T09:30 (in the session's zone).")
@click.option("--tz", help="Time zone (default HVIS_TZ, Europe/Copenhagen).")
@click.option("--language", type=click.Choice(["da", "en"]), help="Language of the bot's texts (default: the deck's).")
@click.option("--anonymity", type=click.Choice(anonymity.MODES), default=anonymity.DEFAULT_MODE, show_default=True)
@click.option("--facilitator", "facilitators", multiple=True, help="Slack user id (U…) or user group id (S…); repeatable.")
@click.option("--team", default="", help="Slack team id (default: the bot's workspace).")
@click.pass_context
def create(ctx: click.Context, title: str, channel: str, deck: str | None, start: str, tz: str | None,
           language: str | None, anonymity: str, facilitators: tuple[str, ...], team: str) -> None:
    settings = _settings(ctx)
    zone = check_timezone(tz or settings.timezone, "--tz")
    chosen = decks.load_deck(deck)
    when = parse_start(start, zone)
    planned = sessions.plan_session(
        chosen, title=title, channel=channel, start=when, timezone=zone, anonymity_mode=anonymity,
        facilitators=list(facilitators), now=Clock().now(), grace=timedelta(minutes=settings.grace_minutes),
        language=language, team_id=team)
    created, _ = sessions.save_session(_store(settings, create=True), _linker(settings), *planned)
    click.echo(created.id)


@session.command(name="list", help="List sessions.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    store = _store(_settings(ctx))
    found = store.sessions.list()
    if as_json:
        click.echo(json.dumps([sessions.describe(store, s) for s in found], ensure_ascii=False, indent=2))
        return
    for s in found:
        start = local(s.start_at, s.timezone)
        click.echo(f"{s.id}  {s.state:<9}  {start:%Y-%m-%d %H:%M} {s.timezone}  {s.channel}  {s.title}")


def _show(ctx: click.Context, session_id: str, as_json: bool, close: bool = False) -> None:
    settings = _settings(ctx)
    store = _store(settings)
    found = sessions.get_session(store, session_id)
    if close:
        found = sessions.close_session(store, _linker(settings), found, Clock().now())
    described = sessions.describe(store, found)
    click.echo(json.dumps(described, ensure_ascii=False, indent=2) if as_json else sessions.as_text(described))


@session.command(help="Show a session: its prompts, their times (local) and states, and counts.")
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def show(ctx: click.Context, session_id: str, as_json: bool) -> None:
    _show(ctx, session_id, as_json)


@session.command(help="Close a session: the running bot posts the wrap-up and sends the facilitators the result.")
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def close(ctx: click.Context, session_id: str, as_json: bool) -> None:
    _show(ctx, session_id, as_json, close=True)


@session.command(help="Cancel a session that never started (nothing is posted).")
@click.argument("session_id", metavar="ID")
@click.pass_context
def cancel(ctx: click.Context, session_id: str) -> None:
    settings = _settings(ctx)
    store = _store(settings)
    found = sessions.get_session(store, session_id)
    try:
        sessions.cancel_session(store, _linker(settings), found)
    except HvisError:
        raise BadInput(f"session {found.id} has started; close it with `hvis session close {found.id}`") from None
    click.echo(f"Cancelled {found.id} ({found.title}).")


@cli.command(name="export", help="Export a session's result; text formats go to stdout without --out.")
@click.argument("session_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), required=True)
@click.option("--out", type=click.Path(path_type=Path), help="File to write (written whole, or not at all).")
@click.option("--delimiter", type=click.Choice(exports.DELIMITERS), default=";", show_default=True,
              help="CSV field separator (Danish Excel expects ;).")
@click.option("--force", is_flag=True, help="Overwrite a file hvis did not write.")
@click.pass_context
def export_(ctx: click.Context, session_id: str, fmt: str, out: Path | None, delimiter: str, force: bool) -> None:
    settings = _settings(ctx)
    if out is not None:
        privacy.check_export_target(out, settings, force)
    store = _store(settings)
    found = sessions.get_session(store, session_id)
    data = summaries.export(store, found, fmt, Directory(store, None, found.team_id), delimiter=delimiter)
    if out is None:
        if fmt == "xlsx":
            raise BadInput("xlsx is a binary format: give --out FILE")
        sys.stdout.write(data.decode("utf-8-sig" if fmt == "csv" else "utf-8"))
        return
    privacy.write_export(store, out, data)
    click.echo(f"Wrote {out} ({len(data):,} bytes).", err=True)


@cli.command(help="Print a session's summary (themes, tallies, top ideas) in the terminal.")
@click.argument("session_id", metavar="ID")
@click.pass_context
def summary(ctx: click.Context, session_id: str) -> None:
    store = _store(_settings(ctx))
    found = sessions.get_session(store, session_id)
    sys.stdout.write(summaries.export(store, found, "md", Directory(store, None, found.team_id)).decode("utf-8"))


@cli.group(name="decks", help="Prompt decks.")
def decks_() -> None:
    pass


@decks_.command(help="Validate a deck (or every deck under ./prompts and the shipped ones).")
@click.argument("path", required=False)
def check(path: str | None) -> None:
    paths = [decks.resolve_deck_path(path)] if path else decks.all_deck_paths()
    for found in paths:
        deck = decks.load_deck(str(found))
        click.echo(f"{found}: ok ({deck.title}, {len(deck.prompts)} prompts, {deck.language})")


@cli.command(help="Delete everything stored about a person (GDPR erasure) and say what is left to do by hand.")
@click.argument("user_id")
@click.pass_context
def forget(ctx: click.Context, user_id: str) -> None:
    from bot.runtime import slack_for

    settings = _settings(ctx)
    store = _store(settings)
    slack = slack_for(settings) if settings.bot_token else None
    report = privacy.forget(store, _linker(settings), Directory(store, None), slack, user_id)
    click.echo(privacy.as_text(report, user_id, slack is not None))
    if report.problems:
        raise click.exceptions.Exit(1)


@cli.command(help="Delete sessions closed more than DAYS days ago.")
@click.option("--older-than", "days", type=click.IntRange(0, privacy.MAX_DAYS), required=True, metavar="DAYS")
@click.pass_context
def purge(ctx: click.Context, days: int) -> None:
    count = privacy.purge(_store(_settings(ctx)), days, Clock().now())
    click.echo(f"Deleted {count} sessions closed more than {days} days ago.")


@cli.command(help="Write a consistent copy of the database (safe while the bot runs).")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    settings = _settings(ctx)
    privacy.backup(_store(settings), path)
    click.echo(f"Backed up {settings.db_path} to {path}. The key store ({settings.key_store_path}) is not in it, "
               "on purpose: anonymous answers in the copy cannot be linked to anyone.")
