"""bot/config.py: defaults from SPEC §8, list parsing, bad values naming the variable, one table of settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import SETTINGS, Settings, load_settings
from bot.errors import BadInput


def test_empty_environment_gives_the_documented_defaults():
    settings = load_settings({})
    assert settings.bot_token == ""
    assert settings.signing_secret == ""
    assert settings.app_token == ""
    assert settings.api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.db_path == Path("hvis.db")
    assert settings.facilitators == frozenset()
    assert settings.timezone == "Europe/Copenhagen"
    assert settings.language == "da"
    assert settings.grace_minutes == 15
    assert settings.socket_mode is False


def test_documented_defaults_match_the_dataclass_defaults():
    assert load_settings({}) == Settings()


@pytest.mark.parametrize("raw, expected", [
    ("U01AAA", {"U01AAA"}),
    (" U01AAA , U02BBB,U03CCC ", {"U01AAA", "U02BBB", "U03CCC"}),
    ("U01AAA,,U02BBB,", {"U01AAA", "U02BBB"}),
    (" , ", set()),
])
def test_facilitator_and_politician_lists_are_split_and_trimmed(raw, expected):
    settings = load_settings({"HVIS_FACILITATORS": raw, "HVIS_POLITICIANS": raw})
    assert settings.facilitators == frozenset(expected)
    assert settings.politicians == frozenset(expected)


@pytest.mark.parametrize("variable, value", [
    ("PORT", "http"),
    ("PORT", "0"),
    ("PORT", "-1"),
    ("PORT", "30.5"),
    ("HVIS_TZ", "Mars/Olympus"),
    ("HVIS_TZ", "CET+1"),
    ("HVIS_LANG", "fr"),
    ("HVIS_LANG", "dansk"),
])
def test_bad_value_raises_bad_input_naming_the_variable(variable, value):
    with pytest.raises(BadInput, match=variable):
        load_settings({variable: value})


def test_port_above_65535_is_refused_naming_port():
    with pytest.raises(BadInput, match="PORT"):
        load_settings({"PORT": "70000"})


def test_port_is_read_as_a_number():
    assert load_settings({"PORT": " 8080 "}).port == 8080


def test_every_setting_is_a_settings_field_and_every_field_a_setting():
    fields = {field.name for field in dataclasses.fields(Settings)}
    attrs = [setting.attr for setting in SETTINGS]
    assert len(attrs) == len(set(attrs))
    assert set(attrs) == fields


def test_every_setting_has_a_distinct_variable_and_help():
    names = [setting.env for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(setting.help.strip() for setting in SETTINGS)


def test_setting_defaults_agree_with_settings_defaults():
    defaults = Settings()
    for setting in SETTINGS:
        if setting.default:
            assert str(getattr(defaults, setting.attr)) == setting.default, setting.env


@pytest.mark.parametrize("environ, socket_mode", [
    ({}, False),
    ({"SLACK_APP_TOKEN": ""}, False),
    ({"SLACK_APP_TOKEN": "xapp-1-A0-123-abc"}, True),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, False),
])
def test_socket_mode_exactly_when_app_token_is_set(environ, socket_mode):
    assert load_settings(environ).socket_mode is socket_mode
