"""The documentation says what the code does: the README's settings table and .env.example match
bot/config.py SETTINGS row for row, the quick start is two commands, and CI runs the test one."""

from __future__ import annotations

import re

import pytest

from bot.config import SETTINGS
from tasks import TASKS
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
TABLE = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
# Rows of the README table and entries of .env.example that SETTINGS has moved on from since the restructure.
STALE: set[str] = set()
STALE_REASON = ("README.md's settings table and .env.example were not regenerated from bot/config.py SETTINGS "
                "after the restructure (changed help, new settings, HVIS_THREADS default 16 vs 8)")


def by_setting(setting):
    marks = [pytest.mark.xfail(strict=True, reason=STALE_REASON)] if setting.env in STALE else []
    return pytest.param(setting, id=setting.env, marks=marks)


@pytest.mark.parametrize("setting", [by_setting(s) for s in SETTINGS])
def test_every_setting_is_a_row_of_the_readme_table(setting):
    default = f"`{setting.default}`" if setting.default else "—"
    assert f"| `{setting.env}` | {setting.help} | {default} |" in TABLE.splitlines()


@pytest.mark.parametrize("setting", [by_setting(s) for s in SETTINGS])
def test_every_setting_is_in_env_example_with_its_help_and_default(setting):
    value = "" if setting.secret else re.escape(setting.default)
    entry = rf"^# {re.escape(setting.help)}\n(# )?{re.escape(setting.env)}={value}$"
    assert re.search(entry, ENV_EXAMPLE, re.MULTILINE)


def test_readme_table_and_env_example_name_no_setting_that_does_not_exist():
    known = {setting.env for setting in SETTINGS}
    in_table = set(re.findall(r"^\| `([A-Z_]+)` \|", TABLE, re.MULTILINE))
    in_example = set(re.findall(r"^(?:# )?([A-Z][A-Z_]+)=", ENV_EXAMPLE, re.MULTILINE))
    assert in_table and in_example
    assert (in_table - known, in_example - known) == (set(), set())


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 tasks.py demo", "python3 tasks.py test"]
    assert {"demo", "test"} <= set(TASKS)
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert "python3 tasks.py test" in ci
