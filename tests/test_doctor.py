"""`hvis doctor` against the stand-in: every check ends in one plain-words line (✓ what is fine, or ✗ what is
wrong followed by → what to do), never a traceback, and the exit status says whether anything needs fixing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.services.doctor import REQUIRED_SCOPES
from standin import SlackStandIn
from tests.support import CHANNEL, SECRET, TEAM, cli_env, free_port, hvis


def upcoming() -> str:
    return f"{date.today() + timedelta(days=30):%Y-%m-%dT09:30}"


def checks(result) -> list[tuple[bool, str, str]]:
    """The report as (ok, what, fix): fails unless every line is a check or the fix of the ✗ check above it."""
    assert result.err == "" and "Traceback" not in result.out, result.err
    found: list[tuple[bool, str, str]] = []
    for line in result.out.splitlines():
        if line.startswith(("✓ ", "✗ ")):
            found.append((line.startswith("✓"), line[2:], ""))
        else:
            assert line.startswith("  → ") and found and not found[-1][0] and not found[-1][2], line
            found[-1] = (False, found[-1][1], line[4:])
    assert found and all(ok or fix for ok, _, fix in found), "every ✗ says what to do"
    return found


def failed(result) -> list[tuple[str, str]]:
    return [(what, fix) for ok, what, fix in checks(result) if not ok]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "hvis.db"


@pytest.fixture
def doctor(tmp_path, db, stub):
    """`hvis doctor` configured for the stand-in, with changes to the environment."""
    def run(**env: str):
        return hvis("doctor", env=cli_env(db, stub, **env), cwd=tmp_path)
    return run


@pytest.fixture
def planned(tmp_path, db, stub) -> str:
    """A session planned in the stand-in's theme-day channel, where the bot is a member."""
    result = hvis("session", "create", "--title", "Temadag", "--channel", CHANNEL, "--start", upcoming(),
                  env=cli_env(db, stub), cwd=tmp_path)
    assert result.code == 0, result.err
    return result.out.strip()


def test_doctor_passes_when_everything_is_in_place(doctor, planned):
    result = doctor()
    assert result.code == 0, result.out
    lines = [what for ok, what, _ in checks(result) if ok]
    assert len(lines) == len(checks(result))
    assert lines[0].startswith(f"bot token works: workspace Hvis Kommune ({TEAM})")
    assert "all permissions (scopes) granted" in lines and any(line.startswith("HTTP mode") for line in lines)
    assert any("is writable" in line for line in lines) and any(line.startswith("key store") for line in lines)
    assert "session “Temadag”: the bot is in #temadag" in lines


def test_doctor_approves_socket_mode_with_a_good_app_token(doctor, stub, planned):
    result = doctor(SLACK_APP_TOKEN=stub.app_token, SLACK_SIGNING_SECRET="")
    assert result.code == 0, result.out
    assert "app-level token works: the bot will use Socket Mode" in [what for _, what, _ in checks(result)]


BROKEN = [
    ("no bot token", {"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set", "OAuth & Permissions"),
    ("a refused bot token", {"SLACK_BOT_TOKEN": "xoxb-wrong"}, "Slack refused the bot token (invalid_auth)",
     "copy the Bot User OAuth Token again"),
    ("Slack unreachable", {"SLACK_API_URL": "http://127.0.0.1:{closed}/api/"}, "Slack could not be reached at",
     "check the network connection"),
    ("Socket Mode with a refused app token", {"SLACK_APP_TOKEN": "xapp-1-wrong"},
     "Slack refused SLACK_APP_TOKEN (invalid_auth)", "connections:write"),
    ("neither Socket Mode nor a signing secret", {"SLACK_SIGNING_SECRET": ""}, "neither SLACK_APP_TOKEN",
     "SLACK_APP_TOKEN"),
    ("a key store without the session's secret", {"HVIS_KEY_FILE": "{tmp}/moved/keys.json"},
     "lacks the linking secret of session(s) {session}", "HVIS_KEY_FILE"),
    ("a damaged key store", {"HVIS_KEY_FILE": "{tmp}/damaged.json"}, "the key store is damaged", "restore"),
]


@pytest.mark.parametrize("case, env, wrong, fix", BROKEN, ids=[case for case, *_ in BROKEN])
def test_doctor_says_in_plain_words_what_is_wrong_and_what_to_do(doctor, planned, tmp_path, case, env, wrong, fix):
    (tmp_path / "damaged.json").write_text("{not json", encoding="utf-8")
    values = {"closed": str(free_port()), "tmp": str(tmp_path), "session": planned}
    result = doctor(**{k: v.format(**values) for k, v in env.items()})
    assert result.code == 1
    [(what, what_to_do)] = failed(result)
    assert wrong.format(**values) in what and fix in what_to_do


def test_doctor_names_a_session_channel_the_bot_is_not_in(doctor, stub, tmp_path, db, planned):
    stub.add_channel("C0NOTINVITED", name="temadag-2", members=["U0EMP0001"], bot_member=False)
    assert hvis("session", "create", "--title", "Dag to", "--channel", "C0NOTINVITED", "--start", upcoming(),
                env=cli_env(db, stub), cwd=tmp_path).code == 0
    result = doctor()
    assert result.code == 1
    assert failed(result) == [("session “Dag to”: the bot is not in #temadag-2", "type /invite @hvis in #temadag-2")]


def test_doctor_names_a_session_channel_slack_does_not_know(doctor, stub, tmp_path, db, planned):
    assert hvis("session", "create", "--title", "Forkert kanal", "--channel", "C0GONE0001", "--start", upcoming(),
                env=cli_env(db, stub), cwd=tmp_path).code == 0
    [(what, fix)] = failed(doctor())
    assert "“Forkert kanal”: channel C0GONE0001 cannot be seen" in what and "invite the bot" in fix


@pytest.fixture
def narrow():
    """A workspace whose app was installed before files:write was added to the manifest."""
    slack = SlackStandIn(signing_secret=SECRET, team_id=TEAM, scopes=tuple(sorted(REQUIRED_SCOPES - {"files:write"})))
    yield slack.start()
    slack.stop()


def test_doctor_names_the_missing_permissions(narrow, tmp_path):
    result = hvis("doctor", env=cli_env(tmp_path / "hvis.db", narrow), cwd=tmp_path)
    assert result.code == 1
    assert failed(result) == [("permissions missing: files:write", "paste manifest.yaml into the app's App Manifest "
                                                                   "page, save, and reinstall the app")]


def test_doctor_reports_a_running_session_whose_secret_is_not_in_the_key_store(bot, live_session, settings, stub,
                                                                               tmp_path):
    session, _ = live_session
    settings.key_store_path.rename(tmp_path / "kept-elsewhere.json")
    result = hvis("doctor", env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert result.code == 1
    [(what, fix)] = failed(result)
    assert f"lacks the linking secret of session(s) {session.id}" in what and "HVIS_KEY_FILE" in fix


def test_doctor_says_an_old_key_file_beside_the_database_must_go(doctor, planned, db):
    db.with_name("hvis.db.key").write_bytes(b"0" * 32)
    [(what, fix)] = failed(doctor())
    assert "an old key file" in what and fix.startswith("delete it")


def test_a_database_that_does_not_exist_yet_is_fine_and_is_not_created(doctor, db, tmp_path):
    result = doctor()
    assert result.code == 0, result.out
    assert any("does not exist yet; it will be created when the bot starts" in what for _, what, _ in checks(result))
    assert list(tmp_path.iterdir()) == []


def test_a_database_in_a_missing_folder_fails_and_nothing_is_created(stub, tmp_path):
    mistyped = tmp_path / "nowhere" / "hvis.db"
    result = hvis("doctor", env=cli_env(mistyped, stub), cwd=tmp_path)
    assert result.code == 1
    [(what, fix)] = failed(result)
    assert f"database {mistyped} does not exist yet" in what and "check for a typo" in fix
    assert list(tmp_path.iterdir()) == []
