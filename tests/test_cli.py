"""bot/cli.py as a user runs it: `python -m bot …` in its own process, on a database in tmp_path."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.decks import load_deck

ROOT = Path(__file__).resolve().parent.parent
START = "2030-03-12T09:30"
BROKEN_DECK = 'title = "Temadag"\nlanguage = "da"\n[[prompts]]\nid = "sne"\nkind = "essay"\nat = "+0m"\ntext = "x"\n'


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every command and sub-command the parser knows, found by walking its subparsers."""
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from command_paths(subparser, (*prefix, name))


COMMAND_PATHS = list(command_paths(build_parser()))


@pytest.fixture
def hvis(tmp_path):
    """Run the real command line in tmp_path with its database there and no Slack or hvis settings inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HVIS_"))}
    env.update(HVIS_DB=str(tmp_path / "hvis.db"), PYTHONPATH=str(ROOT))

    def run(*args: str, **more_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], env={**env, **more_env}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    return run


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed(hvis) -> list[dict]:
    return json.loads(ok(hvis("session", "list", "--json")))


@pytest.fixture
def session_id(hvis) -> str:
    stdout = ok(hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", START))
    return stdout.strip()


@pytest.fixture
def broken_deck(tmp_path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_DECK, encoding="utf-8")
    return path


def test_the_parser_has_the_documented_commands():
    assert {("run",), ("demo",), ("session", "create"), ("session", "list"), ("session", "show"),
            ("session", "close"), ("export",), ("decks", "check")} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda path: " ".join(path) or "hvis")
def test_every_command_answers_help(hvis, path):
    result = hvis(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    assert " ".join(("hvis", *path)) in result.stdout


def test_session_create_prints_only_the_new_id(hvis):
    result = hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", START)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"[A-Za-z0-9_-]+\n", result.stdout), result.stdout


def test_created_session_is_listed_as_scheduled_with_the_deck_prompts(hvis, session_id):
    (session,) = listed(hvis)
    assert session["id"] == session_id
    assert session["state"] == "scheduled"
    assert [p["id"] for p in session["prompts"]] == [p.id for p in load_deck(None).prompts]


def test_created_session_is_shown_by_id(hvis, session_id):
    shown = json.loads(ok(hvis("session", "show", session_id, "--json")))
    assert (shown["id"], shown["state"], shown["title"], shown["channel"]) == (
        session_id, "scheduled", "Temadag", "C0TEMADAG")
    assert [p["id"] for p in shown["prompts"]] == [p.id for p in load_deck(None).prompts]


def test_first_prompt_of_the_default_deck_is_due_at_the_start(hvis, session_id):
    shown = json.loads(ok(hvis("session", "show", session_id, "--json")))
    assert shown["prompts"][0]["due_at"] == "2030-03-12T08:30:00+00:00"   # 09:30 in Copenhagen, winter


def test_session_close_makes_it_closed(hvis, session_id):
    ok(hvis("session", "close", session_id))
    assert json.loads(ok(hvis("session", "show", session_id, "--json")))["state"] == "closed"
    assert [s["state"] for s in listed(hvis)] == ["closed"]


BAD_CREATE = [
    ("bad start", ["--start", "2026-13-01T09:00"]),
    ("start in the DST gap", ["--start", "2030-03-31T02:30"]),
    ("start long past", ["--start", "2020-03-12T09:30"]),
    ("unknown time zone", ["--start", START, "--tz", "Mars/Olympus"]),
    ("unknown deck", ["--start", START, "--deck", "nope"]),
    ("broken deck file", ["--start", START, "--deck", "{broken}"]),
    ("channel name, not id", ["--start", START, "--channel", "general"]),
    ("unknown anonymity", ["--start", START, "--anonymity", "sometimes"]),
]


@pytest.mark.parametrize("case, args", BAD_CREATE, ids=[case for case, _ in BAD_CREATE])
def test_bad_session_create_exits_2_with_one_line_and_creates_nothing(hvis, broken_deck, case, args):
    args = [arg.format(broken=broken_deck) for arg in args]
    if "--channel" not in args:
        args += ["--channel", "C0TEMADAG"]
    result = hvis("session", "create", "--title", "Temadag", *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hvis")
    assert listed(hvis) == []


def test_export_json_prints_the_session(hvis, session_id):
    data = json.loads(ok(hvis("export", session_id, "--format", "json")))
    assert data["session"]["id"] == session_id
    assert data["session"]["state"] == "scheduled"
    assert [p["id"] for p in data["prompts"]] == [p.id for p in load_deck(None).prompts]
    assert data["stats"] == {**data["stats"], "replies": 0, "participants": 0}


def test_export_of_an_unknown_session_exits_2_with_one_line(hvis):
    result = hvis("export", "nosuchid", "--format", "json")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("hvis")


def test_decks_check_passes_the_shipped_decks(hvis):
    assert ok(hvis("decks", "check"))


def test_decks_check_of_a_broken_deck_exits_2_naming_the_file(hvis, broken_deck):
    result = hvis("decks", "check", str(broken_deck))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hvis") and str(broken_deck) in lines[0]


def test_export_to_a_missing_folder_fails_with_one_line(hvis, session_id, tmp_path):
    result = hvis("export", session_id, "--format", "md", "--out", str(tmp_path / "no-such-folder" / "day.md"))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("hvis"), result.stderr


def test_unusable_database_path_fails_with_one_line(hvis, tmp_path):
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    result = hvis("session", "list", HVIS_DB=str(tmp_path / "not-a-folder" / "hvis.db"))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("hvis"), result.stderr


def test_session_language_defaults_to_hvis_lang(hvis):
    stdout = ok(hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", START,
                     HVIS_LANG="en"))
    assert json.loads(ok(hvis("session", "show", stdout.strip(), "--json")))["language"] == "en"
