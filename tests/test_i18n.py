"""bot/i18n.py and its catalogs bot/locales/<lang>/*.toml: Danish and English match file for file, key for key,
plural form for plural form and placeholder for placeholder; every text the code asks for exists and gets
every value it needs."""

from __future__ import annotations

import ast
import string
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, LOCALES, PLURAL_FORMS, catalog, clock, date, t
from bot.rules import anonymity, states
from bot.services.directory import ROLES
from tests.support import ROOT

# The code that is live after the restructure: the layers ARCHITECTURE.md names, and the modules that build them.
LIVE_CODE = sorted(path for path in (ROOT / "bot").rglob("*.py"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def read_folder(language: str) -> dict[str, dict[str, object]]:
    """{file name: {key: value}} read straight from the files, so a missing one cannot hide behind the fallback."""
    def walk(tree: dict, prefix: str = ""):
        for key, value in tree.items():
            if isinstance(value, dict) and not set(value) <= {"one", "other", "zero", "two", "few", "many"}:
                yield from walk(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value
    return {path.name: dict(walk(tomllib.loads(path.read_text(encoding="utf-8"))))
            for path in sorted((LOCALES / language).glob("*.toml"))}


FILES = {language: read_folder(language) for language in LANGUAGES}
FLAT = {language: {key: value for entries in FILES[language].values() for key, value in entries.items()}
        for language in LANGUAGES}
KEYS = sorted(FLAT["da"])


def forms(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {"": value}


def test_both_languages_have_the_same_catalog_files_with_the_same_keys():
    assert {name: sorted(keys) for name, keys in FILES["da"].items()} == \
           {name: sorted(keys) for name, keys in FILES["en"].items()}


def test_no_key_is_defined_in_two_files():
    seen = [key for entries in FILES["da"].values() for key in entries]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_non_empty_text_or_a_complete_plural_table(language):
    bad = [key for key, value in FLAT[language].items()
           if not (isinstance(value, str) and value.strip())
           and not (isinstance(value, dict) and tuple(sorted(value)) == tuple(sorted(PLURAL_FORMS))
                    and all(isinstance(text, str) and text.strip() for text in value.values()))]
    assert bad == []


@pytest.mark.parametrize("key", KEYS)
def test_same_plural_forms_and_placeholders_in_both_languages(key):
    danish, english = forms(FLAT["da"][key]), forms(FLAT["en"].get(key, ""))
    assert {form: placeholders(text) for form, text in danish.items()} == \
           {form: placeholders(text) for form, text in english.items()}


def test_catalog_reads_the_same_texts_as_the_files():
    assert catalog("da") == FLAT["da"]
    assert catalog("en") == FLAT["en"]


def test_an_unknown_language_falls_back_to_danish():
    assert t("fr", "button.answer") == FLAT["da"]["button.answer"]


def test_t_fills_placeholders():
    assert t("da", "answer.named", user="U0123ABCD") == FLAT["da"]["answer.named"].replace("{user}", "U0123ABCD")
    text = t("en", "export.comment", title="Welfare day")
    assert "Welfare day" in text and "{" not in text


def test_t_gives_english_for_english_and_danish_for_danish():
    assert t("da", "button.answer") == FLAT["da"]["button.answer"]
    assert t("en", "button.answer") == FLAT["en"]["button.answer"]
    assert t("da", "button.answer") != t("en", "button.answer")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("n, form", [(1, "one"), (0, "other"), (2, "other"), (12, "other")])
def test_t_chooses_the_plural_form_by_n(language, n, form):
    assert t(language, "reminder.some", n=n) == FLAT[language]["reminder.some"][form].format(n=n)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_state_role_and_mode_has_a_label(language):
    keys = catalog(language)
    wanted = [f"state.{s}" for s in (*states.SESSION_STATES, *states.PROMPT_STATES)]
    wanted += [f"role.{r}" for r in ROLES]
    wanted += [f"{group}.{m}" for m in anonymity.MODES for group in ("anonymity", "mode")]
    wanted += [f"answer.{shown}" for shown in (anonymity.HIDDEN, anonymity.ANONYMOUS)] + ["answer.named"]
    wanted += [key for mode in anonymity.MODES for key, _ in anonymity.answer_buttons(mode)]
    wanted += [f"prompt.how_{kind}" for kind in ("open", "vote", "scale")] + [f"language.{lang}" for lang in LANGUAGES]
    assert [key for key in wanted if key not in keys] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_months_are_twelve_words(language):
    assert len(t(language, "time.months").split()) == 12


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_and_clock_times_are_written_the_languages_way(language):
    moment = datetime(2026, 3, 12, 9, 5)
    march = t(language, "time.months").split()[2]
    assert date(language, moment) == t(language, "time.date", day=12, month=march, year=2026)
    assert clock(language, moment) == t(language, "time.clock", hour="09", minute="05")


def calls_with_literal_keys() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, keyword names given or None for **values) of every t(lang, "key", …) and Refused("key", …)."""
    found = []
    for path in LIVE_CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"t": 1, "Refused": 0}.get(name)
            if position is None or len(node.args) <= position:
                continue
            key = node.args[position]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                given = {k.arg for k in node.keywords}
                found.append((f"{Path(path).relative_to(ROOT)}:{node.lineno}", key.value,
                              None if None in given else given))
    return found


CALLS = calls_with_literal_keys()


def test_the_code_asks_for_texts_by_literal_key():
    assert len(CALLS) > 100  # the scan finds the calls (a renamed t() would silently find none)


@pytest.mark.parametrize("where, key, given", CALLS, ids=[where for where, _, _ in CALLS])
def test_every_text_the_code_asks_for_exists_and_gets_every_value_it_needs(where, key, given):
    assert key in FLAT["da"], f"{where}: {key} is not in the catalogs"
    if given is None:  # values passed on as **values: checked where they are made
        return
    value = FLAT["da"][key]
    needed = set().union(*(placeholders(text) for text in forms(value).values()))
    if isinstance(value, dict):
        needed.add("n")  # the plural form is chosen by n
    assert needed <= given, f"{where}: {key} needs {sorted(needed - given)}"
