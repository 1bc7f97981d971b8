"""bot/rules/summary.py: what a theme day's summary counts and shows, computed from records alone. Counts never
link a named and an anonymous answer, roles of unnamed answers hide below three people, participation is a
lower bound, scale and vote prompts are aggregates, top ideas come from comments, the timeline is in 15 minutes."""

from __future__ import annotations

from itertools import count

import pytest

from bot.rules import anonymity
from bot.rules.summary import ScaleSummary, Turnout, scale_summary, summarize, timeline, top_ideas, vote_counts
from storage.records import Prompt, Reply, Session

OPEN, VOTE, SCALE = 1, 2, 3
OPTIONS = ("Snerydning", "Dagtilbud", "Tilflyttere")
NAMES = {"U0ANNA": "Anna Ager", "U0BO": "Bo Bæk", "U0CARL": "Carl Cort", "U0POL1": "Karen Holm"}
_ids = count(1)


def make_session(anonymity_mode: str = "choice", members: int | None = None) -> Session:
    return Session(id="s1234abc", team_id="T0HVIS", title="Temadag", channel="C0TEMADAG", deck="velfaerd",
                   language="da", timezone="Europe/Copenhagen", anonymity=anonymity_mode, state="closed",
                   start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00", members=members)


PROMPTS = [
    Prompt(id=OPEN, session_id="s1234abc", key="ungdom", position=1, kind="open", text="Tænk nu, hvis …",
           due_at="2026-03-12T08:00:00+00:00", state="closed"),
    Prompt(id=VOTE, session_id="s1234abc", key="valg", position=2, kind="vote", text="Hvad først?",
           due_at="2026-03-12T08:30:00+00:00", state="closed", options=OPTIONS),
    Prompt(id=SCALE, session_id="s1234abc", key="maal", position=3, kind="scale", text="Hvor enig?",
           due_at="2026-03-12T09:00:00+00:00", state="closed", scale_labels=("Uenig", "Enig")),
]


def reply(prompt_id: int = OPEN, user: str | None = "U0ANNA", text: str = "Flere lærepladser", *,
          role: str = "employee", source: str = "thread", votes: int = 0, at: str = "08:05:00") -> Reply:
    """A stored reply; user None is an anonymous one."""
    number = next(_ids)
    return Reply(id=f"r{number}", session_id="s1234abc", prompt_id=prompt_id, channel="C0TEMADAG", source=source,
                 author=user or f"p-{number:04x}", anonymous=user is None, role=role, text=text,
                 created_at=f"2026-03-12T{at}+00:00", updated_at=f"2026-03-12T{at}+00:00", user_id=user, votes=votes)


def summary_of(replies, mode: str = "choice", audience: str = "facilitator", turnout: dict | None = None,
               members: int | None = None):
    return summarize(make_session(mode, members), PROMPTS, replies, audience=audience, names=NAMES,
                     turnout=Turnout(turnout or {}))


# --- counts never link -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("audience", anonymity.AUDIENCES)
def test_a_person_answering_named_and_anonymously_is_counted_in_each_space_never_merged(audience):
    replies = [reply(user="U0ANNA"), reply(user="U0ANNA"), reply(user=None, source="modal")]
    summary = summary_of(replies, audience=audience, turnout={"employee": 1})
    assert (summary.named_people, summary.anonymous_people, summary.participants) == (1, 1, 2)
    assert summary.anonymous_answers == 1
    assert summary.prompts[0].participants == 2   # per prompt, anonymous answers are counted as answers


def test_per_prompt_anonymous_answers_count_as_answers_not_people():
    replies = [reply(user=None, source="modal") for _ in range(3)] + [reply(user="U0BO")]
    summary = summary_of(replies, turnout={"employee": 1})
    assert summary.prompts[0].participants == 4
    assert summary.participants == 2


@pytest.mark.parametrize("mode, audience", [(m, a) for m in anonymity.MODES for a in anonymity.AUDIENCES])
def test_an_answer_names_its_author_exactly_where_the_anonymity_rules_allow(mode, audience):
    named, hidden = reply(user="U0ANNA"), reply(user=None, source="modal")
    answers = {a.id: a for a in summary_of([named, hidden], mode, audience).prompts[0].answers}
    shown = anonymity.byline(mode, audience, False)
    assert answers[named.id].byline == shown
    assert answers[named.id].author == ("Anna Ager" if shown == anonymity.NAME else None)
    assert answers[named.id].user_id == ("U0ANNA" if shown == anonymity.NAME and audience == "facilitator" else None)
    assert (answers[hidden.id].byline, answers[hidden.id].author, answers[hidden.id].user_id) == \
           (anonymity.ANONYMOUS, None, None)


def test_an_unknown_name_is_left_out_never_shown_as_the_raw_id():
    (answer,) = summary_of([reply(user="U0STRANGER")], "named", "report").prompts[0].answers
    assert (answer.byline, answer.author, answer.user_id) == (anonymity.NAME, None, None)


# --- roles -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("politicians, visible", [(1, False), (2, False), (3, True), (4, True)])
def test_the_role_of_an_anonymous_answer_shows_only_when_three_people_of_the_role_took_part(politicians, visible):
    replies = [reply(user=None, source="modal", role="politician") for _ in range(politicians)]
    replies += [reply(user=user) for user in ("U0ANNA", "U0BO", "U0CARL")]
    summary = summary_of(replies, audience="channel", turnout={"politician": politicians})
    assert {a.role for a in summary.prompts[0].answers if a.byline == anonymity.ANONYMOUS} == \
           {"politician" if visible else None}
    assert ("politician" in summary.by_role) is visible
    assert summary.by_role["employee"] == 3


def test_channel_counts_by_role_leave_out_roles_with_fewer_than_three_named_people():
    replies = [reply(user="U0POL1", role="politician"), reply(user="U0POL1", role="politician")]
    replies += [reply(user=user) for user in ("U0ANNA", "U0BO", "U0CARL")]
    assert summary_of(replies, "named", "channel").by_role == {"employee": 3}
    assert summary_of(replies, "named", "facilitator").by_role == {"employee": 3, "politician": 2}


# --- participation -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("named_users, anonymous_people, members, participation", [
    (["U0ANNA", "U0BO"], 6, 20, 0.3),       # at least the 6 anonymous people; the named 2 may be among them
    (["U0ANNA", "U0BO", "U0CARL"], 1, 10, 0.3),
    (["U0ANNA", "U0BO", "U0CARL"], 0, 2, 1.0),   # never above everyone
    (["U0ANNA"], 0, None, None),            # channel size unknown
    (["U0ANNA"], 0, 0, None),
])
def test_participation_is_a_lower_bound_against_channel_members(named_users, anonymous_people, members, participation):
    replies = [reply(user=user) for user in named_users]
    summary = summary_of(replies, turnout={"employee": anonymous_people}, members=members)
    assert summary.participation == (pytest.approx(participation) if participation is not None else None)


# --- scale and vote prompts ----------------------------------------------------------------------------------------

def test_scale_prompt_is_n_mean_median_and_distribution_of_modal_ratings():
    replies = [reply(SCALE, user, value, source="modal") for user, value in
               [("U0ANNA", "1"), ("U0BO", "2"), ("U0CARL", "2"), (None, "5")]]
    replies.append(reply(SCALE, "U0POL1", "4", source="thread"))   # a comment in the thread is not a rating
    scale = summary_of(replies).prompts[2].scale
    assert scale == ScaleSummary(n=4, mean=2.5, median=2.0, distribution=((1, 1), (2, 2), (3, 0), (4, 0), (5, 1)),
                                 labels=("Uenig", "Enig"))


@pytest.mark.parametrize("values, n, mean, median", [([], 0, None, None), ([3], 1, 3.0, 3), ([1, 2], 2, 1.5, 1.5),
                                                     ([1, 1, 2], 3, 1.33, 1)])
def test_scale_summary_rounds_the_mean_and_takes_the_middle_value(values, n, mean, median):
    summary = scale_summary(values)
    assert (summary.n, summary.mean, summary.median) == (n, mean, median)
    assert sum(count for _, count in summary.distribution) == n


@pytest.mark.parametrize("choices, ranked", [
    (["Dagtilbud", "Dagtilbud", "Tilflyttere"], (("Dagtilbud", 2), ("Tilflyttere", 1), ("Snerydning", 0))),
    (["Tilflyttere", "Snerydning"], (("Snerydning", 1), ("Tilflyttere", 1), ("Dagtilbud", 0))),  # ties: deck order
    ([], (("Snerydning", 0), ("Dagtilbud", 0), ("Tilflyttere", 0))),
    (["Noget andet"], (("Snerydning", 0), ("Dagtilbud", 0), ("Tilflyttere", 0))),
])
def test_vote_counts_are_per_option_most_chosen_first(choices, ranked):
    assert vote_counts(OPTIONS, choices) == ranked


def test_vote_prompt_counts_modal_choices_and_keeps_thread_replies_as_comments():
    replies = [reply(VOTE, "U0ANNA", "Dagtilbud", source="modal"), reply(VOTE, None, "Dagtilbud", source="modal"),
               reply(VOTE, "U0BO", "Dagtilbud", source="thread")]
    prompt = summary_of(replies).prompts[1]
    assert prompt.vote == (("Dagtilbud", 2), ("Snerydning", 0), ("Tilflyttere", 0))
    assert [a.id for a in prompt.comments] == [replies[2].id]


# --- top ideas -----------------------------------------------------------------------------------------------------

def test_top_ideas_come_only_from_comments_never_from_votes_or_ratings():
    choice = reply(VOTE, "U0ANNA", "Dagtilbud", source="modal", votes=9)
    rating = reply(SCALE, "U0BO", "5", source="modal", votes=8)
    comment = reply(VOTE, "U0CARL", "Dagtilbud, men om aftenen", votes=1)
    idea = reply(OPEN, None, "Lærepladser i kommunen", source="modal", votes=2)
    summary = summary_of([choice, rating, comment, idea], turnout={"employee": 1})
    assert [a.id for a in summary.top] == [idea.id, comment.id]
    assert [a.id for a in summary.prompts[1].top] == [comment.id]


def test_top_ideas_are_the_most_supported_then_the_earliest_and_only_supported_ones():
    replies = [reply(votes=2, at="08:20:00"), reply(votes=5, at="08:30:00"), reply(votes=2, at="08:10:00"),
               reply(votes=0, at="08:01:00")]
    summary = summary_of(replies)
    assert [a.id for a in top_ideas(summary.prompts[0].answers)] == [replies[1].id, replies[2].id, replies[0].id]


def test_top_ideas_are_at_most_five():
    replies = [reply(votes=n) for n in range(1, 9)]
    assert [a.votes for a in summary_of(replies).top] == [8, 7, 6, 5, 4]


# --- timeline ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("times, buckets", [
    ([], ()),
    (["2026-03-12T08:01:00+00:00"], (("2026-03-12T08:00:00+00:00", 1),)),
    (["2026-03-12T08:01:00+00:00", "2026-03-12T08:14:59+00:00", "2026-03-12T08:15:00+00:00",
      "2026-03-12T08:47:00+00:00"],
     (("2026-03-12T08:00:00+00:00", 2), ("2026-03-12T08:15:00+00:00", 1), ("2026-03-12T08:30:00+00:00", 0),
      ("2026-03-12T08:45:00+00:00", 1))),
    (["2026-03-12T09:50:00+01:00", "2026-03-12T08:40:00+00:00"],     # any offset, bucketed in UTC
     (("2026-03-12T08:30:00+00:00", 1), ("2026-03-12T08:45:00+00:00", 1))),
])
def test_timeline_counts_answers_in_15_minute_buckets_from_first_to_last(times, buckets):
    assert timeline(times) == buckets


def test_summary_timeline_and_totals_cover_every_answer():
    replies = [reply(at="08:05:00", votes=1), reply(VOTE, None, "Dagtilbud", source="modal", at="08:35:00", votes=2)]
    summary = summary_of(replies, turnout={"employee": 1})
    assert summary.timeline == (("2026-03-12T08:00:00+00:00", 1), ("2026-03-12T08:15:00+00:00", 0),
                                ("2026-03-12T08:30:00+00:00", 1))
    assert (summary.replies, summary.votes) == (2, 3)
