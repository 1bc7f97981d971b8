"""bot/decks.py: the shipped decks parse, and every bad deck is refused naming file, prompt and problem."""

from __future__ import annotations

import re

import pytest

from bot.decks import TimeSpec, load_deck, parse_time, shipped_decks
from bot.errors import BadInput

HEAD = 'title = "Temadag"\nlanguage = "da"\n'
GOOD = '[[prompts]]\nid = "ungdom"\nkind = "open"\nat = "+0m"\ntext = "Tænk nu, hvis alle unge fik en uddannelse?"\n'


def prompt(pid: str, **fields: object) -> str:
    """One [[prompts]] table; `fields` are raw TOML values (already quoted where needed)."""
    values = {"kind": '"open"', "at": '"+0m"', "text": '"Tænk nu, hvis …"', **fields}
    lines = [f'id = "{pid}"'] + [f"{key} = {value}" for key, value in values.items() if value is not None]
    return "[[prompts]]\n" + "\n".join(lines) + "\n"


# (case, file content, prompt id named in the message or None, pattern naming the problem)
BAD_DECKS = [
    ("unknown kind", HEAD + prompt("sne", kind='"essay"'), "sne", r"kind.*essay|essay.*kind"),
    ("missing text", HEAD + prompt("sne", text=None), "sne", r"\btext\b.*(missing|empty|required)"),
    ("duplicate id", HEAD + GOOD + prompt("ungdom", at='"+30m"'), "ungdom", r"twice|duplicate|more than once"),
    ("bad time", HEAD + prompt("sne", at='"+5x"'), "sne", r"\+5x"),
    ("vote with one option", HEAD + prompt("valg", kind='"vote"', options='["Kun én"]'), "valg", r"option"),
    ("options on open prompt", HEAD + prompt("sne", options='["a", "b"]'), "sne", r"option"),
    ("unknown field", HEAD + prompt("sne", reminder='"+15m"'), "sne", r"reminder"),
    ("remind after close", HEAD + prompt("sne", remind='"+30m"', close='"+20m"'), "sne", r"remind.*close|close.*remind"),
    ("not TOML", HEAD + "[[prompts]\nid = sne\n", None, r"TOML"),
    ("not UTF-8", (HEAD + prompt("sne", text='"Velfærd"')).encode("latin-1"), None, r"UTF-?8"),
    ("empty prompts list", HEAD + "prompts = []\n", None, r"prompts"),
    ("bad language", 'title = "Temadag"\nlanguage = "de"\n' + GOOD, None, r"language.*\bde\b"),
    ("missing kind", HEAD + prompt("sne", kind=None), "sne", r"kind.*missing"),
    ("first prompt not at start", HEAD + prompt("sne", at='"+15m"'), "sne", r"first.*\+0m"),
    ("prompts out of order", HEAD + prompt("a", at='"+0m"') + prompt("b", at='"+45m"') + prompt("c", at='"+30m"'),
     "c", r"before the previous prompt 'b'"),
]


@pytest.mark.parametrize("name", shipped_decks())
def test_every_shipped_deck_parses(name):
    deck = load_deck(name)
    assert deck.prompts and deck.title and deck.language in ("da", "en")


def test_shipped_decks_include_a_danish_and_an_english_deck():
    languages = {load_deck(name).language for name in shipped_decks()}
    assert {"da", "en"} <= languages


@pytest.fixture(scope="module")
def danish_deck():
    return load_deck(None)


def test_default_deck_is_danish_with_at_least_six_prompts(danish_deck):
    assert danish_deck.language == "da"
    assert len(danish_deck.prompts) >= 6


def test_default_deck_first_prompt_is_due_at_session_start(danish_deck):
    assert danish_deck.prompts[0].at == TimeSpec(minutes=0)


def test_every_danish_prompt_starts_with_taenk_nu_hvis(danish_deck):
    not_starting = [p.id for p in danish_deck.prompts if not p.text.startswith("Tænk nu, hvis")]
    assert not_starting == []


@pytest.mark.parametrize("case, content, prompt_id, problem", BAD_DECKS, ids=[case[0] for case in BAD_DECKS])
def test_bad_deck_names_file_prompt_and_problem(tmp_path, case, content, prompt_id, problem):
    path = tmp_path / "min-temadag.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInput) as raised:
        load_deck(str(path))
    message = str(raised.value)
    assert str(path) in message
    if prompt_id is not None:
        assert repr(prompt_id) in message or f'"{prompt_id}"' in message
    assert re.search(problem, message, re.IGNORECASE), message


@pytest.mark.parametrize("text, expected", [
    ("+0m", TimeSpec(minutes=0)),
    ("+45m", TimeSpec(minutes=45)),
    ("+1h30m", TimeSpec(minutes=90)),
    ("+2h", TimeSpec(minutes=120)),
    ("10:30", TimeSpec(clock=(10, 30))),
    ("9:05", TimeSpec(clock=(9, 5))),
])
def test_parse_time_accepts_offsets_and_clock_times(text, expected):
    assert parse_time(text, "at") == expected


@pytest.mark.parametrize("raw", ["45m", "+", "25:00", "", 45])
def test_parse_time_refuses_bad_times_saying_where(raw):
    with pytest.raises(BadInput, match="prompt 'x': at"):
        parse_time(raw, "prompt 'x': at")
