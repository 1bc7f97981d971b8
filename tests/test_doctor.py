"""`hvis doctor` against the stand-in: what is fine, and what to fix in plain words."""

from __future__ import annotations

import re

from bot.doctor import REQUIRED_SCOPES
from tests.support import CHANNEL, ROOT, cli_env, hvis


def _manifest_scopes() -> set[str]:
    text = (ROOT / "manifest.yaml").read_text(encoding="utf-8")
    block = text.split("scopes:", 1)[1].split("\nsettings:", 1)[0]
    return set(re.findall(r"^\s+- ([a-z.:_]+)", block, re.MULTILINE))


def test_doctor_knows_the_scopes_the_manifest_asks_for():
    assert _manifest_scopes() == REQUIRED_SCOPES


def test_doctor_passes_when_everything_is_in_place(stub, tmp_path):
    result = hvis("doctor", env=cli_env(tmp_path / "hvis.db", stub), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "✓ bot token works" in result.stdout and "✓ all permissions" in result.stdout
    assert "✓ database" in result.stdout and "✗" not in result.stdout


def test_doctor_names_missing_scopes_and_channels_without_the_bot(stub, tmp_path):
    from standin import SlackStandIn

    narrow = SlackStandIn(signing_secret="s", team_id="T0HVIS",
                          scopes=tuple(sorted(REQUIRED_SCOPES - {"files:write"}))).start()
    narrow.add_channel("C0NOTINVITED", name="temadag-2", members=["U0EMP0001"], bot_member=False)
    narrow.add_user("U0EMP0001", name="a", real_name="A")
    try:
        env = cli_env(tmp_path / "hvis.db", narrow)
        hvis("session", "create", "--title", "Dag", "--channel", "C0NOTINVITED", "--start", "2030-01-01T09:00",
             env=env, cwd=tmp_path)
        result = hvis("doctor", env=env, cwd=tmp_path)
    finally:
        narrow.stop()
    assert result.returncode == 1
    assert "✗ permissions missing: files:write" in result.stdout
    assert "not in #temadag-2" in result.stdout and "/invite @hvis" in result.stdout


def test_doctor_explains_a_refused_token(stub, tmp_path):
    env = cli_env(tmp_path / "hvis.db", stub, SLACK_BOT_TOKEN="xoxb-wrong")
    result = hvis("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "refused the bot token (invalid_auth)" in result.stdout
    assert CHANNEL not in result.stdout


def test_doctor_does_not_create_a_mistyped_database_and_says_so(stub, tmp_path):
    result = hvis("doctor", env=cli_env(tmp_path / "nowhere" / "hvis.db", stub), cwd=tmp_path)
    assert result.returncode == 1 and "does not exist yet" in result.stdout
    assert not (tmp_path / "nowhere").exists()


def test_bot_refuses_to_start_with_a_new_key_over_existing_answers(bot, live_session, stub, settings, tmp_path):
    stub.post_as_user("U0EMP0001", CHANNEL, "Et svar", thread_ts=live_session[1].message_ts)
    settings.pseudonym_key_path.rename(tmp_path / "gemt.key")
    doctor = hvis("doctor", env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert doctor.returncode == 1 and "key" in doctor.stdout and "missing" in doctor.stdout
    run = hvis("run", env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert run.returncode == 2 and "restore the key" in run.stderr and len(run.stderr.strip().splitlines()) == 1
