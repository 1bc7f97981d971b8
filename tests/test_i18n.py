"""bot/i18n.py: the Danish and English catalogs match key for key and placeholder for placeholder."""

from __future__ import annotations

import string
import tomllib

import pytest

from bot.i18n import LOCALES, catalog, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def flat_catalog(language: str) -> dict[str, object]:
    """Read the file directly, so a missing file cannot hide behind the fallback to Danish."""
    def walk(tree: dict, prefix: str = ""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from walk(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value
    return dict(walk(tomllib.loads((LOCALES / f"{language}.toml").read_text(encoding="utf-8"))))


DA = flat_catalog("da")
EN = flat_catalog("en")


def test_danish_and_english_catalogs_have_the_same_keys():
    assert sorted(set(DA) - set(EN)) == []
    assert sorted(set(EN) - set(DA)) == []


@pytest.mark.parametrize("language, entries", [("da", DA), ("en", EN)])
def test_catalog_has_no_empty_or_non_text_entries(language, entries):
    assert [key for key, value in entries.items() if not isinstance(value, str) or not value.strip()] == []


@pytest.mark.parametrize("key", sorted(DA))
def test_same_placeholders_in_both_languages(key):
    assert placeholders(DA[key]) == placeholders(EN.get(key, ""))


def test_catalog_reads_the_same_texts_as_the_files():
    assert catalog("da") == DA
    assert catalog("en") == EN


def test_t_fills_placeholders():
    assert t("da", "answer.named", user="U0123ABCD") == "Svar fra <@U0123ABCD>:"
    text = t("en", "facilitator.export", title="Welfare day", replies=12, participants=5)
    assert "Welfare day" in text and "12" in text and "5" in text and "{" not in text


def test_t_gives_english_for_english_and_danish_for_danish():
    assert t("da", "button.answer") != t("en", "button.answer")
    assert t("da", "button.answer") == DA["button.answer"]
    assert t("en", "button.answer") == EN["button.answer"]


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_state_role_and_mode_has_a_label(language):
    from bot.model import ANONYMITY_MODES, PROMPT_STATES, ROLES, SESSION_STATES

    keys = catalog(language)
    missing = [f"state.{s}" for s in (*SESSION_STATES, *PROMPT_STATES) if f"state.{s}" not in keys]
    missing += [f"role.{r}" for r in ROLES if f"role.{r}" not in keys]
    missing += [f"anonymity.{m}" for m in ANONYMITY_MODES if f"anonymity.{m}" not in keys]
    missing += [f"mode.{m}" for m in ANONYMITY_MODES if f"mode.{m}" not in keys]
    assert missing == []
