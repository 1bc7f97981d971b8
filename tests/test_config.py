"""bot/config.py: `Settings` is derived from the one table `SETTINGS`; defaults from SPEC §8, lists of Slack ids,
bad values refused naming the variable, and a key store that lives away from the database."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import SETTINGS, Settings, load_settings
from bot.errors import BadInput


def test_settings_has_one_field_per_setting_and_nothing_else_but_the_state_folder():
    attrs = [setting.attr for setting in SETTINGS]
    assert len(attrs) == len(set(attrs))
    assert [field.name for field in dataclasses.fields(Settings)] == [*attrs, "state_dir"]


def test_every_setting_has_a_distinct_variable_and_a_one_line_help():
    names = [setting.env for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert [s.env for s in SETTINGS if not s.help.strip() or "\n" in s.help or not s.help.endswith(".")] == []


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_each_settings_default_is_its_settings_default_parsed(setting):
    assert getattr(Settings(), setting.attr) == setting.parse(setting.default, setting.env)
    assert getattr(load_settings({}), setting.attr) == setting.parse(setting.default, setting.env)


@pytest.mark.parametrize("attr, default", [
    ("bot_token", ""), ("signing_secret", ""), ("app_token", ""),
    ("api_url", "https://slack.com/api/"), ("port", 3000), ("db_path", Path("hvis.db")),
    ("facilitators", frozenset()), ("politicians", frozenset()),
    ("timezone", "Europe/Copenhagen"), ("language", "da"), ("grace_minutes", 15), ("vote_reaction", "+1"),
    ("key_file", None),
])
def test_empty_environment_gives_the_documented_defaults(attr, default):
    assert getattr(load_settings({}), attr) == default


def test_an_empty_environment_is_the_default_settings():
    assert load_settings({}) == Settings()


@pytest.mark.parametrize("variable, raw, attr, value", [
    ("PORT", " 8080 ", "port", 8080),
    ("PORT", "", "port", 3000),                         # blank means the default
    ("HVIS_TZ", "  ", "timezone", "Europe/Copenhagen"),
    ("HVIS_TZ", "America/New_York", "timezone", "America/New_York"),
    ("HVIS_LANG", "en", "language", "en"),
    ("HVIS_GRACE_MINUTES", "0", "grace_minutes", 0),
    ("HVIS_SLACK_TIMEOUT", "2.5", "slack_timeout", 2.5),
    ("HVIS_LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ("HVIS_DB", "~/hvis/temadag.db", "db_path", Path("~/hvis/temadag.db").expanduser()),
    ("SLACK_API_URL", "http://127.0.0.1:8080/api/", "api_url", "http://127.0.0.1:8080/api/"),
])
def test_values_are_read_trimmed_and_typed(variable, raw, attr, value):
    assert getattr(load_settings({variable: raw}), attr) == value


@pytest.mark.parametrize("raw, expected", [
    ("U01AAA", {"U01AAA"}),
    (" U01AAA , U02BBB,U03CCC ", {"U01AAA", "U02BBB", "U03CCC"}),
    ("U01AAA,,U02BBB,", {"U01AAA", "U02BBB"}),
    ("W01ENTERPRISE", {"W01ENTERPRISE"}),               # Enterprise Grid user ids
    ("S0POLITIC,U01AAA", {"S0POLITIC", "U01AAA"}),      # a user group
    (" , ", set()),
])
@pytest.mark.parametrize("variable, attr", [("HVIS_FACILITATORS", "facilitators"), ("HVIS_POLITICIANS", "politicians")])
def test_people_lists_take_user_and_user_group_ids(variable, attr, raw, expected):
    assert getattr(load_settings({variable: raw}), attr) == frozenset(expected)


@pytest.mark.parametrize("raw", ["C0CHANNEL", "u01aaa", "@fie", "<@U01AAA>", "U01AAA U02BBB", "fie@kommune.dk", "U1"])
@pytest.mark.parametrize("variable", ["HVIS_FACILITATORS", "HVIS_POLITICIANS"])
def test_people_lists_refuse_what_is_not_a_user_or_group_id_naming_it(variable, raw):
    with pytest.raises(BadInput, match=rf"^{variable}: .*is not a Slack user id") as raised:
        load_settings({variable: f"U0GOOD1,{raw}"})
    assert repr(raw.strip()) in str(raised.value)


@pytest.mark.parametrize("variable, value", [
    ("PORT", "http"), ("PORT", "0"), ("PORT", "-1"), ("PORT", "30.5"), ("PORT", "70000"),
    ("HVIS_TZ", "Mars/Olympus"), ("HVIS_TZ", "CET+1"),
    ("HVIS_LANG", "fr"), ("HVIS_LANG", "dansk"),
    ("HVIS_GRACE_MINUTES", "-1"), ("HVIS_GRACE_MINUTES", "1441"), ("HVIS_GRACE_MINUTES", "kvarter"),
    ("HVIS_THREADS", "0"), ("HVIS_THREADS", "1000"),
    ("HVIS_SLACK_TIMEOUT", "0"), ("HVIS_SLACK_TIMEOUT", "nan"), ("HVIS_SLACK_TIMEOUT", "inf"),
    ("HVIS_SETTLE_SECONDS", "-5"), ("HVIS_SETTLE_SECONDS", "længe"),
    ("SLACK_API_URL", "slack.com/api/"), ("HVIS_LLM_URL", "ftp://llm.kommune.dk/v1"),
    ("HVIS_LOG_LEVEL", "LOUD"),
])
def test_bad_value_raises_bad_input_naming_the_variable(variable, value):
    with pytest.raises(BadInput, match=f"^{variable}"):
        load_settings({variable: value})


@pytest.mark.parametrize("environ, socket_mode", [
    ({}, False),
    ({"SLACK_APP_TOKEN": ""}, False),
    ({"SLACK_APP_TOKEN": "xapp-1-A0-123-abc"}, True),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, False),
])
def test_socket_mode_exactly_when_app_token_is_set(environ, socket_mode):
    assert load_settings(environ).socket_mode is socket_mode


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings({}).port = 1


# --- the key store ---------------------------------------------------------------------------------------------

def test_key_store_defaults_to_the_state_folder_outside_the_databases_folder(tmp_path):
    settings = load_settings({"HVIS_DB": str(tmp_path / "data" / "hvis.db"), "HOME": str(tmp_path / "home")})
    keys = settings.key_store_path
    assert keys.is_relative_to(tmp_path / "home" / ".local" / "state" / "hvis")
    assert not keys.is_relative_to(tmp_path / "data")


def test_key_store_follows_xdg_state_home(tmp_path):
    settings = load_settings({"HVIS_DB": str(tmp_path / "hvis.db"), "HOME": str(tmp_path / "home"),
                              "XDG_STATE_HOME": str(tmp_path / "state")})
    assert settings.key_store_path.is_relative_to(tmp_path / "state" / "hvis")


def test_hvis_key_file_names_the_key_store(tmp_path):
    settings = load_settings({"HVIS_DB": str(tmp_path / "hvis.db"), "HVIS_KEY_FILE": str(tmp_path / "nøgler.json")})
    assert settings.key_store_path == tmp_path / "nøgler.json"


def test_each_database_has_its_own_key_store_however_its_path_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    home = {"HOME": str(tmp_path / "home")}
    relative = load_settings({"HVIS_DB": "hvis.db", **home}).key_store_path
    absolute = load_settings({"HVIS_DB": str(tmp_path / "hvis.db"), **home}).key_store_path
    other = load_settings({"HVIS_DB": str(tmp_path / "andet" / "hvis.db"), **home}).key_store_path
    assert relative == absolute
    assert other != absolute
