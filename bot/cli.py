"""The `hvis` command line: the one place that reads .env and the environment, builds things and translates errors."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

from dotenv import load_dotenv
from slack_sdk.errors import SlackApiError

from bot import export, privacy, sessions
from bot.clock import Clock
from bot.config import Settings, check_timezone, load_settings
from bot.decks import all_deck_paths, load_deck, resolve_deck_path
from bot.errors import HvisError
from bot.model import ANONYMITY_MODES
from bot.people import Pseudonyms, load_key
from bot.schedule import parse_start
from storage import Store


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2, like every other bad input."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> Parser:
    parser = Parser(prog="hvis", description="Slack bot for “Tænk nu, hvis…” theme days.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("run", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on PORT)")
    sub.add_parser("doctor", help="check tokens, permissions, channels and the database, and say what to fix")
    demo = sub.add_parser("demo", help="an offline rehearsal of a whole theme day against a local Slack stand-in")
    demo.add_argument("--out", type=Path, help="folder for the exports (default: a new folder under ./demo-output)")
    demo.add_argument("--speed", type=float, default=240.0, help="how many times faster than real time the day runs")

    session = sub.add_parser("session", help="create, list, show and close sessions").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    create = session.add_parser("create", help="create a session; prints its id")
    create.add_argument("--title", required=True)
    create.add_argument("--channel", required=True, help="Slack channel id, e.g. C0123ABCD")
    create.add_argument("--deck", help="deck path or name under prompts/ (default: the Danish welfare deck)")
    create.add_argument("--start", required=True, help="ISO 8601, e.g. 2026-03-12T09:30 (session time zone)")
    create.add_argument("--tz", help="time zone (default HVIS_TZ, Europe/Copenhagen)")
    create.add_argument("--language", choices=("da", "en"), help="language of the bot's texts (default HVIS_LANG)")
    create.add_argument("--anonymity", choices=ANONYMITY_MODES, default="choice")
    create.add_argument("--facilitator", action="append", default=[], help="Slack user id (repeatable)")
    create.add_argument("--team", default="", help="Slack team id (default: the bot's workspace)")
    for name, text in (("list", "list sessions"), ("show", "show one session"), ("close", "close a session")):
        action = session.add_parser(name, help=text)
        if name != "list":
            action.add_argument("id")
        action.add_argument("--json", action="store_true", help="machine-readable output")

    exp = sub.add_parser("export", help="export a session's result")
    exp.add_argument("id")
    exp.add_argument("--format", choices=export.FORMATS, required=True)
    exp.add_argument("--out", type=Path, help="file to write (default: stdout)")

    decks = sub.add_parser("decks", help="prompt decks").add_subparsers(dest="action", required=True, parser_class=Parser)
    check = decks.add_parser("check", help="validate a deck (or every deck under prompts/)")
    check.add_argument("path", nargs="?")

    forget = sub.add_parser("forget", help="delete everything stored about a person (GDPR erasure)")
    forget.add_argument("user_id", help="Slack user id, e.g. U0123ABCD")
    purge = sub.add_parser("purge", help="delete sessions closed more than DAYS days ago")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    backup = sub.add_parser("backup", help="write a consistent copy of the database (safe while the bot runs)")
    backup.add_argument("path", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv(Path.cwd() / ".env", override=False)  # real environment variables win
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        return COMMANDS[args.command](args, settings)
    except HvisError as exc:
        print(f"hvis: {exc}", file=sys.stderr)
        return exc.exit_code
    except (OSError, sqlite3.Error, SlackApiError) as exc:
        # Not the user's input but the machine or Slack: one line, exit 1 (the bot's own log keeps tracebacks).
        print(f"hvis: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _one_line(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.get('error') or exc.response.status_code}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split()) or type(exc).__name__


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import Bot, build

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("slack_sdk", "slack_bolt", "hvis.bolt"):  # at DEBUG they log payloads: personal data
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # two lines a second otherwise
    bot = Bot(build(settings))
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
    return 0


def doctor_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.doctor import diagnose, report
    from bot.runtime import slack_client

    checks = diagnose(settings, slack_client(settings))
    print(report(checks))
    return 0 if all(check.ok for check in checks) else 1


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a platform stopping the worker) shuts down like Ctrl-C: finish the tick, close the server."""
    raise KeyboardInterrupt


def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    return run_demo(out=args.out, speed=args.speed)


def session_command(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_path).migrate()
    now = Clock().now()
    if args.action == "create":
        tz = settings.timezone if args.tz is None else args.tz
        check_timezone(tz, "--tz")
        deck = load_deck(args.deck)
        session = sessions.create_session(
            store, deck, title=args.title, channel=args.channel, start=parse_start(args.start, tz), timezone=tz,
            language=args.language or settings.language, anonymity=args.anonymity, facilitators=args.facilitator,
            now=now, team_id=args.team)
        print(session.id)
        return 0
    if args.action == "list":
        found = store.sessions()
        if args.json:
            print(json.dumps([sessions.summary(store, s) for s in found], ensure_ascii=False, indent=2))
        for s in [] if args.json else found:
            print(f"{s.id}  {s.state:<9}  {s.start_at}  {s.channel}  {s.title}")
        return 0
    session = sessions.get_session(store, args.id)
    if args.action == "close":
        session = sessions.close_session(store, args.id, now)
    summary = sessions.summary(store, session)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(sessions.describe(summary))
    return 0


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_path).migrate()
    data = export.session_export(store, args.id)
    text = export.to_json(data) if args.format == "json" else export.to_markdown(data, data["session"]["language"])
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def decks_command(args: argparse.Namespace, settings: Settings) -> int:
    paths = [resolve_deck_path(args.path)] if args.path else all_deck_paths()
    for path in paths:
        deck = load_deck(str(path))
        print(f"{path}: ok ({deck.title}, {len(deck.prompts)} prompts, {deck.language})")
    return 0


def forget_command(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_path).migrate()
    key = load_key(settings.pseudonym_key_path, create=False)
    gone = privacy.forget(store, Pseudonyms(key) if key else None, args.user_id)
    print(f"Forgot {args.user_id}: {gone.replies} replies and {gone.votes} votes deleted."
          + ("" if key else f" (No key at {settings.pseudonym_key_path}: anonymous answers could not be found.)"))
    if gone.bot_posts:
        from bot.runtime import slack_client

        deleted = privacy.delete_bot_posts(slack_client(settings), gone.bot_posts) if settings.bot_token else 0
        print(f"The bot deleted {deleted} of its {len(gone.bot_posts)} posts of their answers in Slack."
              + ("" if deleted == len(gone.bot_posts) else " Delete the rest in Slack, or run this again with "
                 "SLACK_BOT_TOKEN set."))
    print("Their own messages in threads stay in Slack: they or a workspace admin can delete them there.")
    return 0


def purge_command(args: argparse.Namespace, settings: Settings) -> int:
    count = privacy.purge(Store(settings.db_path).migrate(), args.older_than, Clock().now())
    print(f"Deleted {count} sessions closed more than {args.older_than} days ago.")
    return 0


def backup_command(args: argparse.Namespace, settings: Settings) -> int:
    privacy.backup(Store(settings.db_path).migrate(), args.path)
    print(f"Backed up {settings.db_path} to {args.path}. The pseudonym key ({settings.pseudonym_key_path}) "
          "is not in it: keep a copy of that file apart from the backup.")
    return 0


COMMANDS = {"run": run_command, "doctor": doctor_command, "demo": demo_command, "session": session_command, "export": export_command,
            "decks": decks_command, "forget": forget_command, "purge": purge_command, "backup": backup_command}
