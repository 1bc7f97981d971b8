"""The documentation says what the code does: settings, quick start and CI agree."""

from __future__ import annotations

import re

import pytest

from bot.config import SETTINGS
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_in_the_readme_table_and_env_example(setting):
    default = f"`{setting.default}`" if setting.default else "—"
    assert f"| `{setting.env}` | {setting.help} | {default} |" in README
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert f"# {setting.help}\n" in example and re.search(rf"^(# )?{re.escape(setting.env)}=", example, re.MULTILINE)


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 tasks.py demo", "python3 tasks.py test"]
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
