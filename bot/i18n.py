"""User-facing text from the message catalogs in bot/locales/<lang>.toml (Danish first, English beside it).

A flat TOML catalog per language keeps every string in one reviewable place, needs no compile
step (gettext's .mo files would), and `test_i18n` checks that both languages have every key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "da"


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.toml"
    if not path.is_file():
        path = LOCALES / f"{DEFAULT_LANGUAGE}.toml"
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def t(language: str, key: str, **values: object) -> str:
    """The text for `key` in `language`, with {placeholders} filled in."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text
