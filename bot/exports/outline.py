"""What the report says (Markdown and HTML): one outline of plain-text blocks that both formats mark up.

The sections, their order and every number are decided here once; report_md and report_html only
mark the outline up, escaping each text through `safe`. Charts are data here too, taken from the
same counts as the tables beside them, so a chart never shows more than the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Union

from bot.exports import words
from bot.i18n import clock, t
from bot.rules.summary import Answer, Narrative, PromptSummary, Summary, ranked

QUOTES_PER_THEME = 3


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = ""        # "" | "note" (quieter: the state line, the caveat) | "warning" (machine-written)


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str], ...]      # (label, value)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()          # columns of numbers (aligned right)


@dataclass(frozen=True)
class Item:
    text: str                              # an answer, verbatim
    meta: tuple[str, ...]                  # "role, who", then votes, edited, late, where it was said


@dataclass(frozen=True)
class Items:
    items: tuple[Item, ...]
    ordered: bool = False
    quotes: bool = False


@dataclass(frozen=True)
class Figure:
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]   # (legend label, one count per category)
    y_label: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple["Block", ...]
    style: str = ""                        # "" | "prompt" | "machine"


Block = Union[Paragraph, Facts, Table, Items, Figure, Section]


@dataclass(frozen=True)
class Report:
    title: str
    language: str
    blocks: tuple[Block, ...]


def build(summary: Summary) -> Report:
    """The whole report of a summary, in the session's language."""
    lang = words.language(summary)
    numbers = {p.key: p.position for p in summary.prompts}
    blocks: list[Block] = [_header(summary, lang), _totals(summary, lang), _top(summary, lang, numbers)]
    if summary.narrative:
        blocks.append(_narrative(summary.narrative, lang))
    blocks += [_prompt(prompt, lang) for prompt in summary.prompts]
    blocks.append(_timeline(summary, lang))
    return Report(t(lang, "report.title", title=summary.session.title), lang, tuple(blocks))


def _header(summary: Summary, lang: str) -> Facts:
    session = summary.session
    return Facts(((t(lang, "report.channel"), words.channel(session)),
                  (t(lang, "report.when"), words.span(lang, session)),
                  (t(lang, "report.anonymity"), words.mode(lang, summary))))


def _totals(summary: Summary, lang: str) -> Section:
    answers = words.number(lang, summary.replies)
    if summary.anonymous_answers:
        answers = t(lang, "report.of_which_anonymous", answers=answers, n=summary.anonymous_answers)
    people = words.number(lang, summary.participants)
    if summary.named_people and summary.anonymous_people:
        people = t(lang, "report.people_split", people=people, named=words.number(lang, summary.named_people),
                   anonymous=words.number(lang, summary.anonymous_people))
    facts = [(t(lang, "totals.answers"), answers), (t(lang, "totals.participants"), people)]
    if summary.members:
        facts.append((t(lang, "totals.participation"),
                      t(lang, "report.participation", participants=summary.participants, members=summary.members,
                        percent=words.percent(lang, summary.participation or 0.0))))
    facts.append((t(lang, "totals.votes"), words.number(lang, summary.votes)))
    blocks: list[Block] = [Facts(tuple(facts))]
    if summary.by_role:
        blocks.append(_role_table(summary.by_role, lang))
    blocks.append(Paragraph(words.caveat(lang, summary), "note"))
    if summary.prompts:
        blocks.append(Table((t(lang, "report.number"), t(lang, "report.question"), t(lang, "totals.answers"),
                             t(lang, "totals.participants")),
                            tuple((str(p.position), p.text, str(p.replies), str(p.participants)) for p in summary.prompts),
                            numeric=(0, 2, 3)))
    if summary.replies:
        blocks.append(_roles_figure(summary, lang))
    return Section(t(lang, "report.totals"), tuple(blocks))


def _role_table(counts: Mapping[str, int], lang: str) -> Table:
    return Table((t(lang, "report.role"), t(lang, "totals.answers")),
                 tuple((words.role(lang, name), str(n)) for name, n in words.by_role(counts)), numeric=(1,))


def _roles_figure(summary: Summary, lang: str) -> Figure:
    roles = [name for name, _ in words.by_role({r: 1 for p in summary.prompts for r in p.by_role})]
    return Figure(t(lang, "chart.roles"),
                  tuple(t(lang, "chart.prompt", number=p.position) for p in summary.prompts),
                  tuple((words.role(lang, name), tuple(p.by_role.get(name, 0) for p in summary.prompts))
                        for name in roles),
                  y_label=t(lang, "chart.answers"))


def _item(lang: str, answer: Answer, *extra: str) -> Item:
    return Item(answer.text, (words.byline(lang, answer), *words.marks(lang, answer), *extra))


def _top(summary: Summary, lang: str, numbers: dict[str, int]) -> Section:
    if not summary.top:
        return Section(t(lang, "report.top"), (Paragraph(t(lang, "report.no_top"), "note"),))
    items = tuple(_item(lang, a, t(lang, "report.prompt_ref", number=numbers.get(a.prompt_key, "?")))
                  for a in summary.top)
    return Section(t(lang, "report.top"), (Items(items, ordered=True),))


def _narrative(narrative: Narrative, lang: str) -> Section:
    blocks: list[Block] = [Paragraph(t(lang, "report.machine_warning", model=narrative.model), "warning")]
    blocks += [Paragraph(part) for part in narrative.text.split("\n\n") if part.strip()]
    if narrative.quotes:
        blocks += [Paragraph(t(lang, "report.machine_quotes"), "note"),
                   Items(tuple(Item(q, ()) for q in narrative.quotes), quotes=True)]
    return Section(t(lang, "report.machine"), tuple(blocks), "machine")


def _prompt(prompt: PromptSummary, lang: str) -> Section:
    state = words.label(lang, f"state.{prompt.state}", prompt.state)
    counts = t(lang, "report.answers_from", answers=t(lang, "report.answers_n", n=prompt.replies),
               people=t(lang, "report.people_n", n=prompt.participants))
    blocks: list[Block] = [Paragraph(f"{state} · {counts}", "note")]
    if prompt.by_role:
        blocks.append(Paragraph(t(lang, "report.by_role_line", roles=", ".join(
            f"{words.role(lang, name)} {n}" for name, n in words.by_role(prompt.by_role)))))
    if prompt.scale:
        blocks += _scale(prompt, lang)
    if prompt.vote is not None:
        blocks += _vote(prompt, lang)
    blocks += _comments(prompt, lang)
    title = t(lang, "report.prompt", number=prompt.position, text=prompt.text)
    return Section(title, tuple(blocks), "prompt")


def _scale(prompt: PromptSummary, lang: str) -> list[Block]:
    scale = prompt.scale
    meaning = scale.meaning
    blocks: list[Block] = [
        Facts(((t(lang, "report.scale_n"), words.number(lang, scale.n)),
               (t(lang, "report.scale_mean"), words.number(lang, scale.mean)),
               (t(lang, "report.scale_median"), words.number(lang, scale.median)))),
        Table((t(lang, "report.scale_value"), t(lang, "report.meaning"), t(lang, "report.count"), t(lang, "report.share")),
              tuple((str(value), meaning.get(value, ""), str(n), _share(lang, n, scale.n))
                    for value, n in scale.distribution), numeric=(0, 2, 3))]
    if scale.n:
        categories = tuple(f"{value}\n{meaning[value]}" if value in meaning else str(value)
                           for value, _ in scale.distribution)
        blocks.append(Figure(t(lang, "chart.scale", number=prompt.position), categories,
                             ((t(lang, "chart.answers"), tuple(n for _, n in scale.distribution)),),
                             y_label=t(lang, "chart.answers")))
    return blocks


def _vote(prompt: PromptSummary, lang: str) -> list[Block]:
    total = sum(n for _, n in prompt.vote)
    return [Table((t(lang, "report.option"), t(lang, "report.count"), t(lang, "report.share")),
                  tuple((option, str(n), _share(lang, n, total)) for option, n in prompt.vote), numeric=(1, 2))]


def _share(lang: str, n: int, total: int) -> str:
    return words.percent(lang, n / total) if total else "–"


def _comments(prompt: PromptSummary, lang: str) -> list[Block]:
    """Themes (label, keywords, size, quotes), then the answers no theme holds; comments for vote and scale."""
    kind = "answers" if prompt.kind == "open" else "comments"
    if not prompt.comments:
        return [Paragraph(t(lang, "report.no_answers"), "note")] if prompt.kind == "open" else []
    blocks: list[Block] = []
    themed: set[str] = set()
    if prompt.themes:
        themes = []
        for theme in prompt.themes:
            themed.update(theme.reply_ids)
            parts: list[Block] = [Paragraph(t(lang, "report.keywords", keywords=", ".join(theme.keywords)), "note")]
            if theme.quotes:
                parts.append(Items(tuple(_item(lang, q) for q in theme.quotes[:QUOTES_PER_THEME]), quotes=True))
            title = t(lang, "report.theme", label=theme.label, size=t(lang, "report.answers_n", n=len(theme.reply_ids)))
            themes.append(Section(title, tuple(parts)))
        blocks.append(Section(t(lang, "report.themes"), tuple(themes)))
    rest = [a for a in prompt.comments if a.id not in themed]
    if rest:
        title = t(lang, f"report.other_{kind}" if prompt.themes else f"report.{kind}")
        blocks.append(Section(title, (Items(tuple(_item(lang, a) for a in ranked(rest))),)))
    return blocks


def _timeline(summary: Summary, lang: str) -> Section:
    if not summary.timeline:
        return Section(t(lang, "report.timeline"), (Paragraph(t(lang, "report.no_answers"), "note"),))
    moments = [words.local(summary.session, start) for start, _ in summary.timeline]
    several_days = moments[0].date() != moments[-1].date()
    labels = [words.moment(lang, m) if several_days else clock(lang, m) for m in moments]
    counts = [n for _, n in summary.timeline]
    table = Table((t(lang, "report.time"), t(lang, "totals.answers")),
                  tuple((label, str(n)) for label, n in zip(labels, counts) if n), numeric=(1,))
    figure = Figure(t(lang, "chart.timeline"), tuple(labels), ((t(lang, "chart.answers"), tuple(counts)),),
                    y_label=t(lang, "chart.answers"))
    return Section(t(lang, "report.timeline"), (Paragraph(t(lang, "report.timeline_note"), "note"), figure, table))
