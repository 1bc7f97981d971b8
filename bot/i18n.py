"""User-facing text from the message catalogs under bot/locales/<language>/*.toml (Danish first, English beside it).

Each language is a folder of flat TOML catalogs, merged; `test_i18n` checks that both languages have
every key and the same placeholders. A value may be a table of plural forms (`one`, `other`),
chosen by the `n` placeholder. Dates and clock times are written the way each language writes them.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
PLURAL_FORMS = ("one", "other")


@cache
def catalog(language: str) -> dict[str, str | dict[str, str]]:
    """Every text of `language`, keyed `section.name`; unknown languages fall back to Danish."""
    folder = LOCALES / (language if language in LANGUAGES else DEFAULT_LANGUAGE)
    merged: dict[str, str | dict[str, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        for key, value in _flatten(tomllib.loads(path.read_text(encoding="utf-8"))).items():
            if key in merged:
                raise ValueError(f"{path}: {key} is defined twice")
            merged[key] = value
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, str | dict[str, str]]:
    flat: dict[str, str | dict[str, str]] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and not set(value) <= set(PLURAL_FORMS):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def plural_form(language: str, n: int) -> str:
    """CLDR plural category for whole numbers; Danish and English agree: 1 is `one`, the rest `other`."""
    return "one" if n == 1 else "other"


def t(language: str, key: str, **values: object) -> str:
    """The text for `key` in `language`, with {placeholders} filled in (plural forms chosen by `n`)."""
    text = catalog(language).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]
    if isinstance(text, dict):
        n = values.get("n")
        text = text[plural_form(language, n if isinstance(n, int) else 0)]
    return text.format(**values) if values else text


def decimal(language: str, value: float, digits: int = 1) -> str:
    """A decimal number as the language writes it: `3,7` in Danish, `3.7` in English."""
    return f"{value:.{digits}f}".replace(".", t(language, "number.decimal"))


def clock(language: str, moment: datetime) -> str:
    """A time of day as people write it: `kl. 12.40` in Danish, `12:40` in English."""
    return t(language, "time.clock", hour=f"{moment.hour:02d}", minute=f"{moment.minute:02d}")


def date(language: str, moment: datetime) -> str:
    """A date as people write it: `12. marts 2026` / `12 March 2026`."""
    month = t(language, "time.months").split()[moment.month - 1]
    return t(language, "time.date", day=moment.day, month=month, year=moment.year)
