"""The Slack app manifest asks for what the bot uses and offers exactly the /hvis words that exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.rules.commands import SUBCOMMANDS, parse, usage
from bot.services.doctor import REQUIRED_SCOPES

MANIFEST = (Path(__file__).resolve().parent.parent / "manifest.yaml").read_text(encoding="utf-8")


def _list(section: str) -> set[str]:
    block = MANIFEST.split(f"{section}:", 1)[1]
    return set(re.findall(r"^\s+- ([a-z_.:]+)", block.split("\n\n", 1)[0], re.MULTILINE))


def test_manifest_scopes_are_the_ones_doctor_checks():
    assert _list("    bot") == set(REQUIRED_SCOPES)


def test_manifest_usage_hint_lists_every_subcommand_and_nothing_else():
    hint = re.search(r'usage_hint: "(.*)"', MANIFEST).group(1)
    assert hint == usage()
    assert [word.strip() for word in hint.split("|")] == [danish for danish, _, _ in SUBCOMMANDS.values()]


def test_every_word_in_the_usage_hint_and_its_english_alias_parses_to_its_subcommand():
    for name, (danish, english, _) in SUBCOMMANDS.items():
        assert parse(danish).name == name
        assert parse(english.upper()).name == name


def test_manifest_subscribes_to_the_events_the_bot_listens_for():
    events = _list("    bot_events")
    assert {"message.channels", "message.groups", "reaction_added", "reaction_removed", "member_joined_channel",
            "member_left_channel", "channel_left", "group_left", "app_home_opened", "app_uninstalled",
            "tokens_revoked"} == events
    assert "home_tab_enabled: true" in MANIFEST and "socket_mode_enabled: true" in MANIFEST


def test_slash_command_mentions_arrive_escaped_so_rolle_can_read_the_person():
    assert "should_escape: true" in MANIFEST
