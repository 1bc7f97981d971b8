"""bot/rules/anonymity.py, the one home of who sees what of an answer (SPEC §3, §5), as tables."""

from __future__ import annotations

from itertools import product

import pytest

from bot.i18n import LANGUAGES, catalog
from bot.rules.anonymity import (
    ANONYMOUS,
    AUDIENCES,
    HIDDEN,
    MODES,
    NAME,
    ROLE_THRESHOLD,
    answer_buttons,
    byline,
    is_anonymous,
    may_change,
    participants,
    roles_for_channel,
    visible_role,
)

# mode, audience, stored without author, how the answer is attributed
BYLINES = [
    ("named", "channel", False, NAME),
    ("named", "report", False, NAME),
    ("named", "facilitator", False, NAME),
    ("choice", "channel", False, NAME),
    ("choice", "report", False, NAME),
    ("choice", "facilitator", False, NAME),
    ("confidential", "channel", False, HIDDEN),
    ("confidential", "report", False, HIDDEN),         # the report is made to be passed on
    ("confidential", "facilitator", False, NAME),      # only facilitators see names
    ("anonymous", "channel", False, HIDDEN),
    ("anonymous", "report", False, HIDDEN),
    ("anonymous", "facilitator", False, HIDDEN),       # nobody, facilitators included
    ("named", "channel", True, ANONYMOUS),
    ("named", "report", True, ANONYMOUS),
    ("named", "facilitator", True, ANONYMOUS),
    ("choice", "channel", True, ANONYMOUS),
    ("choice", "report", True, ANONYMOUS),
    ("choice", "facilitator", True, ANONYMOUS),
    ("confidential", "channel", True, ANONYMOUS),
    ("confidential", "report", True, ANONYMOUS),
    ("confidential", "facilitator", True, ANONYMOUS),
    ("anonymous", "channel", True, ANONYMOUS),
    ("anonymous", "report", True, ANONYMOUS),
    ("anonymous", "facilitator", True, ANONYMOUS),
]


def test_the_byline_table_covers_every_mode_audience_and_anonymity():
    rows = [(mode, audience, anonymous) for mode, audience, anonymous, _ in BYLINES]
    assert sorted(rows) == sorted(product(MODES, AUDIENCES, (False, True)))


@pytest.mark.parametrize("mode, audience, anonymous, shown", BYLINES)
def test_byline_shows_a_name_only_where_the_mode_lets_the_audience_see_it(mode, audience, anonymous, shown):
    assert byline(mode, audience, anonymous) == shown


def test_byline_refuses_an_unknown_audience():
    with pytest.raises(ValueError, match="'everyone'"):
        byline("named", "everyone", False)


# mode, source, the person chose anonymous, stored without author
STORED_ANONYMOUSLY = [
    ("named", "thread", False, False), ("named", "thread", True, False),
    ("named", "modal", False, False), ("named", "modal", True, True),   # the modal's promise stands (never less)
    ("choice", "thread", False, False), ("choice", "thread", True, False),      # a thread reply shows its author
    ("choice", "modal", False, False), ("choice", "modal", True, True),
    ("confidential", "thread", False, False), ("confidential", "thread", True, False),
    ("confidential", "modal", False, False),  # kept for facilitators
    ("confidential", "modal", True, True),    # opened as anonymous before the mode became confidential
    ("anonymous", "thread", False, True), ("anonymous", "thread", True, True),  # no author id for any reply
    ("anonymous", "modal", False, True), ("anonymous", "modal", True, True),
]


@pytest.mark.parametrize("mode, source, chose, stored_anonymously", STORED_ANONYMOUSLY)
def test_an_answer_is_stored_without_author_in_anonymous_sessions_and_by_choice_through_the_modal(
        mode, source, chose, stored_anonymously):
    assert is_anonymous(mode, source, chose) is stored_anonymously


@pytest.mark.parametrize("mode, buttons", [
    ("named", [("button.answer", False)]),
    ("confidential", [("button.answer_confidential", False)]),
    ("anonymous", [("button.answer_anonymously", True)]),
    ("choice", [("button.answer", False), ("button.answer_anonymously", True)]),
])
def test_answer_buttons_offer_what_the_mode_allows(mode, buttons):
    assert answer_buttons(mode) == buttons


@pytest.mark.parametrize("mode, key, anonymous", [(mode, key, anonymous) for mode in MODES
                                                   for key, anonymous in answer_buttons(mode)])
def test_a_button_labelled_anonymous_stores_its_answer_without_author_and_no_other_does(mode, key, anonymous):
    assert is_anonymous(mode, "modal", anonymous) is anonymous
    assert (key == "button.answer_anonymously") is anonymous
    assert [language for language in LANGUAGES if key not in catalog(language)] == []


# shown as, named people per role, anonymous people per role, the role shown beside a politician's answer
ROLE_CASES = [
    (NAME, {}, {}, "politician"),                                   # a named answer says who, role and all
    (HIDDEN, {"politician": 2}, {}, None),
    (HIDDEN, {"politician": 3}, {}, "politician"),
    (ANONYMOUS, {}, {"politician": 1}, None),                       # one politician must not be singled out
    (ANONYMOUS, {}, {"politician": ROLE_THRESHOLD - 1}, None),
    (ANONYMOUS, {}, {"politician": ROLE_THRESHOLD}, "politician"),
    (ANONYMOUS, {"politician": 2}, {"politician": 2}, None),        # 2 + 2 may be the same two people
    (ANONYMOUS, {"politician": 3}, {"politician": 1}, "politician"),
    (ANONYMOUS, {"employee": 30}, {"employee": 30}, None),          # other roles do not count
]


@pytest.mark.parametrize("shown, named, anonymous, role", ROLE_CASES)
def test_visible_role_hides_the_role_of_an_unnamed_answer_below_three_people(shown, named, anonymous, role):
    assert ROLE_THRESHOLD == 3
    assert visible_role("politician", shown, named, anonymous) == role


def test_roles_for_channel_keep_only_roles_with_three_people():
    counts = {"employee": 7, "politician": 2, "guest": 4}
    named, anonymous = {"employee": 3, "politician": 1, "guest": 2}, {"politician": 2, "guest": 1}
    assert roles_for_channel(counts, named, anonymous) == {"employee": 7}


@pytest.mark.parametrize("named_people, anonymous_people, counted", [
    ([], 0, 0),
    (["U1", "U2", "U1"], 0, 2),            # named people are people, however often they answered
    ([], 3, 3),
    (["U1"], 1, 2),                         # U1 may also be the anonymous one: never merged, counted twice
    (["U1", "U2", "U2"], 2, 4),
])
def test_participants_count_named_and_anonymous_people_apart_and_never_merge_them(named_people, anonymous_people,
                                                                                 counted):
    assert participants(named_people, anonymous_people) == counted


LOOSER = {("choice", "named"), ("confidential", "named"), ("confidential", "choice"),
          ("anonymous", "named"), ("anonymous", "choice"), ("anonymous", "confidential")}


@pytest.mark.parametrize("current, new", list(product(MODES, MODES)))
def test_a_fixed_mode_may_only_become_stricter(current, new):
    assert may_change(current, new, fixed=True) is ((current, new) not in LOOSER)


@pytest.mark.parametrize("current, new", list(product(MODES, MODES)))
def test_a_mode_may_change_freely_until_the_first_prompt_is_out(current, new):
    assert may_change(current, new, fixed=False) is True


@pytest.mark.parametrize("fixed", [False, True])
def test_an_unknown_mode_is_never_allowed(fixed):
    assert may_change("choice", "public", fixed) is False
