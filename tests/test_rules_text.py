"""Text in and out: what is stored from Slack, how it is shown in Slack, and how it reads outside Slack."""

from __future__ import annotations

import pytest

from bot.rules.text import MAX_TEXT, clean, escape, plain, shorten, unmarked


@pytest.mark.parametrize("raw, from_slack, stored", [
    ("  a &lt;b&gt; &amp; c  ", True, "a <b> & c"),
    ("a &lt;b&gt;", False, "a &lt;b&gt;"),
    ("nul\x00byte", False, "nulbyte"),
    (None, True, ""),
    ("x" * (MAX_TEXT + 5), False, "x" * MAX_TEXT),
])
def test_clean_keeps_what_people_wrote_as_plain_text(raw, from_slack, stored):
    assert clean(raw, from_slack) == stored


@pytest.mark.parametrize("text, shown", [
    ("<!channel> se <https://x.dk|her>", "&lt;!channel&gt; se &lt;https://x.dk|her&gt;"),
    ("*fed* & _kursiv_", "*fed* &amp; _kursiv_"),
])
def test_escape_turns_slack_markup_into_text_but_keeps_emphasis(text, shown):
    assert escape(text) == shown


def test_escape_cuts_to_a_limit_without_breaking_an_entity():
    cut = escape("a" * 8 + "&" * 5, limit=12)
    assert len(cut) <= 12 and cut.endswith("…") and not cut[:-1].endswith(("&", "&a", "&am", "&amp"))


@pytest.mark.parametrize("text, readable", [
    ("spørg <@U0123ABC> om det", "spørg @… om det"),
    ("se <https://x.dk|siden>", "se siden (https://x.dk)"),
    ("<!channel> alle", "… alle"),
])
def test_plain_leaves_no_user_id_and_makes_links_readable(text, readable):
    assert plain(text) == readable


@pytest.mark.parametrize("text, readable", [
    ("Tænk nu, hvis *alle unge* fik et job", "Tænk nu, hvis alle unge fik et job"),
    ("_kursiv_ og *fed*", "kursiv og fed"),
    ("5 * 3 * 2", "5 * 3 * 2"),
    ("snake_case_name og a*b*c", "snake_case_name og a*b*c"),
])
def test_unmarked_drops_slack_emphasis_for_reports_only_where_it_is_emphasis(text, readable):
    assert unmarked(text) == readable


def test_shorten_gives_one_line_within_the_limit():
    assert shorten("en\nto   tre fire", 9) == "en to tr…" and shorten("kort", 9) == "kort"
