"""The command line's contract (SPEC §8): every command has help, exit 0 / 2 / 1 with one line on stderr, and
no command but `run` and `session create` ever makes a database out of a mistyped HVIS_DB."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support import cli_env, hvis, hvis_process

BROKEN_DECK = 'title = "Temadag"\nlanguage = "da"\n[[prompts]]\nid = "sne"\nkind = "essay"\nat = "+0m"\ntext = "x"\n'

DOCUMENTED = [
    (), ("run",), ("demo",), ("doctor",), ("session",), ("session", "create"), ("session", "list"),
    ("session", "show"), ("session", "close"), ("session", "cancel"), ("export",), ("summary",), ("decks",),
    ("decks", "check"), ("forget",), ("purge",), ("backup",),
]


def upcoming(month: int = 2, clock: str = "09:30") -> str:
    """A valid start in `month` (two days to a year ahead), at `clock`."""
    first = date.today() + timedelta(days=2)
    when = next(day for day in (first + timedelta(days=n) for n in range(360)) if day.month == month)
    return f"{when.isoformat()}T{clock}"


def one_line(result) -> str:
    """The single line on stderr of a failed command (and nothing on stdout)."""
    lines = result.err.splitlines()
    assert len(lines) == 1 and result.out == "", (result.out, result.err)
    assert "Traceback" not in result.err
    return lines[0]


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def command_paths(command, prefix: tuple[str, ...] = ()):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_paths(sub, (*prefix, name))


@pytest.fixture
def env(tmp_path) -> dict:
    return cli_env(tmp_path / "hvis.db")


@pytest.fixture
def planned(tmp_path, env) -> str:
    """A database holding one scheduled session; returns its id."""
    result = hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", upcoming(),
                  env=env, cwd=tmp_path)
    assert result.code == 0, result.err
    return result.out.strip()


def test_hvis_offers_exactly_the_documented_commands():
    from bot.cli import cli

    assert sorted(command_paths(cli)) == sorted(DOCUMENTED)


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda path: " ".join(path) or "hvis")
def test_every_command_has_help(tmp_path, env, path):
    result = hvis(*path, "--help", env=env, cwd=tmp_path)
    assert result.code == 0, result.err
    assert result.out.startswith(f"Usage: {' '.join(('hvis', *path))} ")
    summary = result.out.split("\n\n")[1].strip()
    assert len(summary) > 10, f"no help text for {path}"
    assert files_in(tmp_path) == set(), "asking for help creates nothing"


@pytest.mark.parametrize("path", [(), ("session",)], ids=["hvis", "hvis session"])
def test_a_group_without_a_command_names_its_commands_in_one_line_and_exits_2(tmp_path, env, path):
    result = hvis(*path, env=env, cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    expected = ("session", "export") if not path else ("create", "close")
    assert all(name in result.err for name in expected) and "--help" in result.err


BAD_USAGE = [
    ("unknown command", ["nonsense"]),
    ("unknown option", ["session", "list", "--colour"]),
    ("missing required option", ["session", "create", "--channel", "C0TEMADAG", "--start", upcoming()]),
    ("unknown session id: show", ["session", "show", "nosuchid"]),
    ("unknown session id: close", ["session", "close", "nosuchid"]),
    ("unknown session id: cancel", ["session", "cancel", "nosuchid"]),
    ("unknown session id: export", ["export", "nosuchid", "--format", "json"]),
    ("unknown session id: summary", ["summary", "nosuchid"]),
    ("a 100,000-character session id", ["session", "show", "x" * 100_000]),
    ("unknown export format", ["export", "{id}", "--format", "pdf"]),
    ("xlsx to the terminal", ["export", "{id}", "--format", "xlsx"]),
    ("unknown csv delimiter", ["export", "{id}", "--format", "csv", "--delimiter", "|"]),
    ("purge for ever", ["purge", "--older-than", "99999999999"]),
    ("purge in the future", ["purge", "--older-than", "-1"]),
    ("purge without a number", ["purge", "--older-than", "a month"]),
    ("forget a name, not an id", ["forget", "karen"]),
    ("forget a channel id", ["forget", "C0TEMADAG"]),
    ("demo at zero speed", ["demo", "--speed", "0"]),
    ("decks check of a missing file", ["decks", "check", "no-such-deck.toml"]),
]


@pytest.mark.parametrize("case, args", BAD_USAGE, ids=[case for case, _ in BAD_USAGE])
def test_bad_usage_exits_2_with_one_line_and_changes_nothing(tmp_path, env, planned, case, args):
    before = files_in(tmp_path)
    result = hvis(*[arg.replace("{id}", planned) for arg in args], env=env, cwd=tmp_path)
    assert result.code == 2
    assert one_line(result).startswith("hvis")
    assert files_in(tmp_path) == before
    listed = json.loads(hvis("session", "list", "--json", env=env, cwd=tmp_path).out)
    assert [(s["id"], s["state"]) for s in listed] == [(planned, "scheduled")]


BAD_SETTINGS = [
    ("HVIS_TZ", "Mars/Olympus"), ("HVIS_LANG", "sv"), ("HVIS_FACILITATORS", "U0FACIL01,fie"),
    ("HVIS_GRACE_MINUTES", "soon"), ("SLACK_API_URL", "slack.com/api"),
]


@pytest.mark.parametrize("variable, value", BAD_SETTINGS, ids=[v for v, _ in BAD_SETTINGS])
def test_a_bad_setting_exits_2_naming_the_variable(tmp_path, variable, value):
    result = hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", upcoming(),
                  env=cli_env(tmp_path / "hvis.db", **{variable: value}), cwd=tmp_path)
    assert result.code == 2 and variable in one_line(result)
    assert files_in(tmp_path) == set()


NEEDS_A_DATABASE = [
    ["session", "list"], ["session", "list", "--json"], ["session", "show", "ab12cd34"],
    ["session", "close", "ab12cd34"], ["session", "cancel", "ab12cd34"], ["export", "ab12cd34", "--format", "json"],
    ["export", "ab12cd34", "--format", "md", "--out", "day.md"], ["summary", "ab12cd34"], ["forget", "U0EMP0001"],
    ["purge", "--older-than", "30"], ["backup", "copy.db"],
]


@pytest.mark.parametrize("args", NEEDS_A_DATABASE, ids=" ".join)
def test_a_mistyped_database_path_is_refused_and_not_created(tmp_path, args):
    mistyped = tmp_path / "data" / "hvsi.db"
    result = hvis(*args, env=cli_env(mistyped), cwd=tmp_path)
    assert result.code == 2
    line = one_line(result)
    assert str(mistyped) in line and "HVIS_DB" in line
    assert files_in(tmp_path) == set(), "no database, folder, key store or output may appear"


def test_run_without_a_bot_token_exits_2_with_one_line(tmp_path, env):
    result = hvis("run", env=env, cwd=tmp_path)
    assert result.code == 2 and "SLACK_BOT_TOKEN" in one_line(result)


def test_run_with_a_refused_token_exits_2_pointing_to_doctor(tmp_path, stub):
    result = hvis("run", env=cli_env(tmp_path / "hvis.db", stub, SLACK_BOT_TOKEN="xoxb-wrong"), cwd=tmp_path)
    assert result.code == 2
    line = one_line(result)
    assert "invalid_auth" in line and "hvis doctor" in line


def test_a_database_path_that_cannot_exist_is_a_machine_failure_exit_1(tmp_path):
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    env = cli_env(tmp_path / "not-a-folder" / "hvis.db", HVIS_KEY_FILE=str(tmp_path / "keys.json"))
    result = hvis("session", "create", "--title", "Temadag", "--channel", "C0TEMADAG", "--start", upcoming(),
                  env=env, cwd=tmp_path)
    assert result.code == 1
    assert "not-a-folder" in one_line(result)


def test_decks_check_passes_every_shipped_deck(tmp_path, env):
    result = hvis("decks", "check", env=env, cwd=tmp_path)
    assert result.code == 0, result.err
    checked = {Path(line.split(":")[0]).name for line in result.out.splitlines() if ": ok (" in line}
    assert {"velfaerd.toml", "welfare-en.toml"} <= checked


def test_decks_check_of_a_broken_deck_names_the_file_the_prompt_and_the_problem(tmp_path, env):
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN_DECK, encoding="utf-8")
    result = hvis("decks", "check", str(broken), env=env, cwd=tmp_path)
    assert result.code == 2
    line = one_line(result)
    assert str(broken) in line and "sne" in line and "essay" in line


def test_the_module_entry_point_exits_with_the_command_status(tmp_path):
    """`python -m bot` is what the Procfile and the README run: its exit status is the process's."""
    env = cli_env(tmp_path / "hvis.db")
    refused = hvis_process("session", "list", env=env, cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and refused.stdout == ""
    failed = hvis_process("doctor", env=env, cwd=tmp_path)  # no token: a check fails
    assert failed.returncode == 1 and "SLACK_BOT_TOKEN" in failed.stdout
