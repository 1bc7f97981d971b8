"""bot/rules/decks.py: the shipped decks parse and are clean, and every bad deck is refused in one line naming
the file, the prompt and the problem."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from bot.errors import BadInput
from bot.rules.decks import MAX_FILE, Deck, DeckPrompt, TimeSpec, load_deck, parse_time, shipped_decks
from bot.rules.schedule import plan
from tests.support import hvis

HEAD = 'title = "Temadag"\nlanguage = "da"\n'
# Slack's markup as a deck must never carry it (a broadcast, a mention, a channel link, a disguised link).
SLACK_MARKUP = ["<!channel>", "<!here>", "<!subteam^S0123>", "<@U0123ABCD>", "<#C0123ABCD>",
                "<https://x.example|disguised>", "<mailto:a@b.dk|Skriv her>", "<https://x.example>"]


def prompt(pid: str, **fields: object) -> str:
    """One [[prompts]] table; `fields` are raw TOML values (already quoted), None leaves a field out."""
    values = {"kind": '"open"', "at": '"+0m"', "text": '"Tænk nu, hvis …"', **fields}
    lines = [f'id = "{pid}"'] + [f"{key} = {value}" for key, value in values.items() if value is not None]
    return "[[prompts]]\n" + "\n".join(lines) + "\n"


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def write_deck(tmp_path):
    """Write deck content (text or bytes) to a file and return its path."""
    def write(content: str | bytes, name: str = "min-temadag.toml"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return write


# --- the shipped decks -------------------------------------------------------------------------------------

SHIPPED = shipped_decks()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_deck_parses_into_deck_prompts(name):
    deck = load_deck(name)
    assert isinstance(deck, Deck) and deck.title and deck.language in ("da", "en")
    assert deck.prompts and all(isinstance(p, DeckPrompt) for p in deck.prompts)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_deck_plans_on_a_theme_day(name):
    start = datetime(2026, 3, 12, 8, 0, tzinfo=timezone.utc)
    times = plan(load_deck(name), start, "Europe/Copenhagen")
    assert [t.due_at for t in times] == sorted(t.due_at for t in times)
    assert times[0].due_at == start


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_deck_text_is_free_of_slack_markup(name):
    deck = load_deck(name)
    texts = [deck.title, deck.description] + [text for p in deck.prompts
                                              for text in (p.text, p.help, *p.options, *p.scale_labels)]
    # Checked here without the deck module's own pattern: any < or > in deck text is the start of markup in Slack.
    assert [text for text in texts if re.search(r"[<>]|&(?:lt|gt|amp);", text)] == []


def test_shipped_decks_include_a_danish_and_an_english_deck():
    assert {"da", "en"} <= {load_deck(name).language for name in SHIPPED}


@pytest.fixture(scope="module")
def danish_deck():
    return load_deck(None)


def test_default_deck_is_danish_with_at_least_six_prompts(danish_deck):
    assert danish_deck.language == "da"
    assert len(danish_deck.prompts) >= 6


def test_default_deck_first_prompt_is_due_at_session_start(danish_deck):
    assert danish_deck.prompts[0].at == TimeSpec(minutes=0)


def test_every_danish_prompt_starts_with_taenk_nu_hvis(danish_deck):
    assert [p.id for p in danish_deck.prompts if not p.text.startswith("Tænk nu, hvis")] == []


def test_default_deck_has_every_kind_of_prompt(danish_deck):
    assert {p.kind for p in danish_deck.prompts} == {"open", "vote", "scale"}


# --- what a deck may say -----------------------------------------------------------------------------------

@pytest.mark.parametrize("line, auto_close", [("", True), ("auto_close = true\n", True),
                                              ("auto_close = false\n", False)])
def test_deck_closes_itself_unless_it_says_auto_close_false(write_deck, line, auto_close):
    assert load_deck(write_deck(HEAD + line + prompt("sne"))).auto_close is auto_close


def test_deck_prompt_keeps_every_field(write_deck):
    deck = load_deck(write_deck(HEAD + prompt("sne", kind='"scale"', at='"+0m"', remind='"+10m"', close='"+1h"',
                                                help='"Tænk på vinteren."', scale_labels='["Slet ikke", "Helt"]')))
    assert deck.prompts == (DeckPrompt(id="sne", kind="scale", at=TimeSpec(minutes=0), text="Tænk nu, hvis …",
                                       remind=TimeSpec(minutes=10), close=TimeSpec(minutes=60),
                                       help="Tænk på vinteren.", scale_labels=("Slet ikke", "Helt")),)


@pytest.mark.parametrize("text", ["Tænk nu, hvis *alle* fik et job?", "Børn under 5 år (<5) og over 5 (>5)",
                                  "Hvad er 3 > 2 & 1 < 2?", "Skriv en mail til borger@kommune.dk"])
def test_plain_text_with_angle_brackets_is_allowed(write_deck, text):
    assert load_deck(write_deck(HEAD + prompt("sne", text=toml_string(text)))).prompts[0].text == text


# --- bad decks: one BadInput naming file, prompt and problem -------------------------------------------------

GOOD = prompt("ungdom")
# (case, file content, prompt id named in the message or None, pattern naming the problem)
BAD_DECKS = [
    ("unknown kind", HEAD + prompt("sne", kind='"essay"'), "sne", r"kind.*essay"),
    ("missing kind", HEAD + prompt("sne", kind=None), "sne", r"kind.*missing"),
    ("missing text", HEAD + prompt("sne", text=None), "sne", r"\btext\b.*missing"),
    ("missing at", HEAD + prompt("sne", at=None), "sne", r"'at' is missing"),
    ("bad id", HEAD + prompt("Sne Rydning"), None, r"id 'Sne Rydning'"),
    ("duplicate id", HEAD + GOOD + prompt("ungdom", at='"+30m"'), "ungdom", r"used twice"),
    ("bad time", HEAD + prompt("sne", at='"+5x"'), "sne", r"\+5x"),
    ("vote with one option", HEAD + prompt("valg", kind='"vote"', options='["Kun én"]'), "valg", r"2 to 10 options"),
    ("options on open prompt", HEAD + prompt("sne", options='["a", "b"]'), "sne", r"options are only for kind 'vote'"),
    ("scale labels on open prompt", HEAD + prompt("sne", scale_labels='["a", "b"]'), "sne", r"scale_labels"),
    ("unknown field", HEAD + prompt("sne", reminder='"+15m"'), "sne", r"unknown field 'reminder'"),
    ("remind after close", HEAD + prompt("sne", remind='"+30m"', close='"+20m"'), "sne", r"remind.*before close"),
    ("close at the prompt's own time", HEAD + prompt("sne", close='"+0m"'), "sne", r"close must be after"),
    ("not TOML", HEAD + "[[prompts]\nid = sne\n", None, r"not valid TOML"),
    ("not UTF-8", (HEAD + prompt("sne", text='"Velfærd"')).encode("latin-1"), None, r"not UTF-8"),
    ("empty prompts list", HEAD + "prompts = []\n", None, r"no prompts"),
    ("bad language", 'title = "Temadag"\nlanguage = "de"\n' + GOOD, None, r"language 'de'"),
    ("missing title", 'language = "da"\n' + GOOD, None, r"title is missing"),
    ("auto_close not a boolean", HEAD + 'auto_close = "no"\n' + GOOD, None, r"auto_close must be true or false"),
    ("prompts out of order", HEAD + prompt("a") + prompt("b", at='"+45m"') + prompt("c", at='"+30m"'),
     "c", r"before the previous prompt 'b'"),
    ("offset beyond a day", HEAD + GOOD + prompt("sent", at='"+24h1m"'), "sent", r"more than 24 hours"),
    ("reminder beyond a day", HEAD + prompt("sne", remind='"+99999h"'), "sne", r"remind.*more than 24 hours"),
    ("absurd reminder", HEAD + prompt("sne", remind='"+99999999999h"'), "sne", r"remind.*not a time"),
    ("too many prompts", HEAD + GOOD + "".join(prompt(f"p{n}", at='"+1m"') for n in range(50)), None,
     r"51 prompts .*at most 50"),
    ("nested too deeply", HEAD + "x = " + "[" * 3000 + "]" * 3000 + "\n" + GOOD, None, r"nested too deeply"),
    ("too large", HEAD + "#" + "x" * MAX_FILE + "\n" + GOOD, None, rf"too large.*at most {MAX_FILE}"),
]


@pytest.mark.parametrize("case, content, prompt_id, problem", BAD_DECKS, ids=[case[0] for case in BAD_DECKS])
def test_bad_deck_is_refused_in_one_line_naming_file_prompt_and_problem(write_deck, case, content, prompt_id, problem):
    path = write_deck(content)
    with pytest.raises(BadInput) as raised:
        load_deck(str(path))
    message = str(raised.value)
    assert message.startswith(str(path))
    assert "\n" not in message and len(message) < 400
    if prompt_id is not None:
        assert f"prompt {prompt_id!r}" in message
    assert re.search(problem, message), message


MARKED_FIELDS = [
    ("text", lambda markup: HEAD + prompt("sne", text=toml_string(f"Tænk nu, hvis {markup} svarede?"))),
    ("help", lambda markup: HEAD + prompt("sne", help=toml_string(f"Spørg {markup}"))),
    ("options", lambda markup: HEAD + prompt("sne", kind='"vote"', options=f'["Ja", {toml_string(markup)}]')),
    ("scale_labels", lambda markup: HEAD + prompt("sne", kind='"scale"',
                                                  scale_labels=f'["Nej", {toml_string(markup)}]')),
    ("title", lambda markup: f'title = {toml_string("Temadag " + markup)}\nlanguage = "da"\n' + GOOD),
    ("description", lambda markup: HEAD + f"description = {toml_string(markup)}\n" + GOOD),
]


@pytest.mark.parametrize("markup", SLACK_MARKUP)
@pytest.mark.parametrize("field, content", MARKED_FIELDS, ids=[field for field, _ in MARKED_FIELDS])
def test_deck_text_with_slack_markup_is_refused_naming_the_field(write_deck, field, content, markup):
    path = write_deck(content(markup))
    with pytest.raises(BadInput, match=rf"{field}: contains Slack markup") as raised:
        load_deck(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_decks_check_refuses_an_absurd_offset_in_one_line_with_exit_2(write_deck, tmp_path):
    path = write_deck(HEAD + prompt("sne", remind='"+99999999999h"'))
    result = hvis("decks", "check", str(path), env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert result.code == 2
    assert result.out == ""
    (line,) = result.err.splitlines()
    assert str(path) in line and "prompt 'sne': remind" in line


def test_decks_check_passes_a_good_deck(write_deck, tmp_path):
    path = write_deck(HEAD + GOOD)
    result = hvis("decks", "check", str(path), env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert str(path) in result.out


def test_unknown_deck_name_is_refused_listing_the_shipped_decks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInput, match="'no-such-deck' not found") as raised:
        load_deck("no-such-deck")
    assert all(name in str(raised.value) for name in SHIPPED)


def test_a_deck_under_the_working_folders_prompts_is_found_by_name(tmp_path, monkeypatch):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "bibliotek.toml").write_text(HEAD + GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_deck("bibliotek").name == "bibliotek"


# --- times ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("+0m", TimeSpec(minutes=0)),
    ("+45m", TimeSpec(minutes=45)),
    ("+1h30m", TimeSpec(minutes=90)),
    ("+2h", TimeSpec(minutes=120)),
    ("+24h", TimeSpec(minutes=24 * 60)),
    ("+1440m", TimeSpec(minutes=24 * 60)),
    (" +15m ", TimeSpec(minutes=15)),
    ("10:30", TimeSpec(clock=(10, 30))),
    ("9:05", TimeSpec(clock=(9, 5))),
    ("23:59", TimeSpec(clock=(23, 59))),
])
def test_parse_time_accepts_offsets_up_to_a_day_and_clock_times(text, expected):
    assert parse_time(text, "at") == expected


@pytest.mark.parametrize("raw", ["45m", "+", "+m", "+1h-5m", "25:00", "10:60", "10.30", "", 45, None, ["+5m"],
                                 "+24h1m", "+1441m", "+99999h", "+99999999999h"])
def test_parse_time_refuses_bad_or_far_times_in_one_line_saying_where(raw):
    with pytest.raises(BadInput, match=r"^prompt 'x': at: ") as raised:
        parse_time(raw, "prompt 'x': at")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("text", ["+0m", "+45m", "+1h30m", "+24h", "09:05", "23:59"])
def test_time_spec_is_written_the_way_a_deck_reads_it(text):
    spec = parse_time(text, "at")
    assert parse_time(str(spec), "at") == spec
