"""bot/exports: every format renders the same Summary, shows no more than it gives, and stays inert when opened."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from markdown_it import MarkdownIt

from bot.exports import AUDIENCE, FORMATS, filename, outline, render, safe
from bot.rules.summary import Narrative, Turnout, summarize
from storage.records import Prompt, Reply, Session, Theme

ANNA, BO, CARL, JENS, SOFIE = "U0ANNA", "U0BO", "U0CARL", "U0JENS", "U0SOFIE"
NAMES = {ANNA: "Anna Andersen", BO: "Bo Berg", CARL: "Carl Clausen", JENS: "Jens Hansen", SOFIE: "Sofie Skjult"}
SOFIE_PSEUDONYM = "p-7f3a9c"   # what the store keeps instead of Sofie's id on her anonymous answers
HOSTILE = (
    '=HYPERLINK("http://evil.example/x","klik")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "  =1+1",
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
    "Godt\n- Sænk skatten (politiker, Jens Hansen)\n# Konklusion\n> citat\n1. punkt",
    "**fed** _kursiv_ [link](javascript:alert(1)) `kode` | celle | ~~væk~~ &amp; \\",
    "\u202eneslnaH sneJ ,rekitilop(",
)


def make_session(**changes) -> Session:
    base = Session(id="ab12cd34", team_id="T1", title="Velfærd 2030: Tænk nu, hvis…", channel="C0TEMA", deck="velfaerd",
                   language="da", timezone="Europe/Copenhagen", anonymity="choice", state="closed",
                   start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00",
                   closed_at="2026-03-12T14:30:00+00:00", channel_name="temadag-velfaerd", members=40)
    return replace(base, **changes)


def make_prompts(session: Session, open_text: str = "Tænk nu, hvis alle unge fik en uddannelse?") -> list[Prompt]:
    def prompt(n, key, kind, text, **more):
        return Prompt(id=n, session_id=session.id, key=key, position=n, kind=kind, text=text,
                      due_at=f"2026-03-12T0{7 + n}:00:00+00:00", **more)
    return [prompt(1, "unge", "open", open_text, state="posted", posted_at="2026-03-12T08:00:02+00:00",
                   message_ts="1773302402.000100"),
            prompt(2, "tryg", "scale", "Hvor trygt er det at sige sin mening?", state="posted",
                   scale_labels=("slet ikke", "helt trygt"), posted_at="2026-03-12T09:00:01+00:00"),
            prompt(3, "sne", "vote", "Hvem skal rydde sne?", state="closed", options=("Kommunen", "Borgerne", "Begge dele")),
            prompt(4, "bolig", "open", "Tænk nu, hvis tilflyttere fik en bolig med det samme?")]


def answer(n: int, prompt: int, text: str, *, user: str | None, role: str = "employee", at: str = "08:05",
           source: str = "thread", **more) -> Reply:
    anonymous = user is None
    created = f"2026-03-12T{at}:00+00:00"
    return Reply(id=f"r{n}", session_id="ab12cd34", prompt_id=prompt, channel="C0TEMA", source=source,
                 author=SOFIE_PSEUDONYM if anonymous else user, anonymous=anonymous, role=role, text=text,
                 created_at=created, updated_at=created, ts=f"1773302700.{n:06d}", user_id=user, **more)


def day_replies() -> list[Reply]:
    return [
        answer(1, 1, "Flere praktikpladser i kommunen", user=ANNA, votes=4),
        answer(2, 1, "Mentorer fra erhvervslivet\nog fra foreningerne", user=BO, at="08:10", votes=2, edited=True),
        answer(3, 1, "Vi skal lytte mere til de unge", user=JENS, role="politician", at="08:20", votes=1),
        answer(4, 1, "Gratis buskort til alle under 25", user=None, at="08:25", source="modal", votes=3),
        answer(5, 1, "Lektiecafé på biblioteket", user=CARL, at="09:40", late=True),
        answer(6, 2, "4", user=ANNA, at="09:05", source="modal"),
        answer(7, 2, "5", user=BO, at="09:06", source="modal"),
        answer(8, 2, "2", user=CARL, at="09:07", source="modal"),
        answer(9, 2, "4", user=None, at="09:08", source="modal"),
        answer(10, 2, "Det kommer an på lederen", user=JENS, role="politician", at="09:12"),
        answer(11, 3, "Borgerne", user=ANNA, at="10:01", source="modal"),
        answer(12, 3, "Begge dele", user=BO, at="10:02", source="modal"),
        answer(13, 3, "Borgerne", user=CARL, at="10:03", source="modal"),
        answer(14, 3, "Kommunen", user=None, at="10:04", source="modal"),
        answer(15, 3, "Naboer kan hjælpe hinanden", user=BO, at="10:06", votes=1),
    ]


THEMES = {1: [Theme("praktik", ("praktik", "mentor"), ("r1", "r2"), ("r1", "r2"))]}
TURNOUT = Turnout(by_role={"employee": 1})
NARRATIVE = Narrative(text="Mange ønsker *mere praktik*.\n\nPolitikerne <b>lytter</b>.",
                      quotes=("Flere praktikpladser i kommunen",), model="lokal-7b")


@cache
def summary_of(fmt: str, scenario: str = "day", mode: str = "choice", language: str = "da"):
    """The Summary a format renders, for one of the scenarios below, made for the format's audience."""
    session = make_session(anonymity=mode, language=language)
    prompts, replies, themes, narrative, turnout = make_prompts(session), day_replies(), THEMES, None, TURNOUT
    if scenario == "narrative":
        narrative = NARRATIVE
    elif scenario == "empty":
        session = replace(session, members=None, closed_at=None, state="running")
        replies, themes, turnout = [], {}, Turnout()
    elif scenario == "hostile":
        session = replace(session, title='<b>Temadag</b> # [x](y) =1+1 #')
        prompts = make_prompts(session, open_text="=1+1 <i>hvad</i> *nu*?\n- hvis")  # deck emphasis is dropped in reports
        replies = [answer(100 + n, 1, text, user=None if n % 2 else ANNA, source="modal" if n % 2 else "thread",
                          votes=n % 3) for n, text in enumerate(HOSTILE)]
        themes = {}
    return summarize(session, prompts, replies, audience=AUDIENCE[fmt], names=NAMES, turnout=turnout,
                     themes=themes, narrative=narrative)


@cache
def exported(fmt: str, scenario: str = "day", mode: str = "choice", language: str = "da") -> bytes:
    return render(summary_of(fmt, scenario, mode, language), fmt)


def readable(fmt: str, data: bytes) -> str:
    """Everything a format's bytes say, as text: an XLSX file's XML parts unzipped."""
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return data.decode("utf-8-sig")


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def csv_rows(data: bytes, delimiter: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


# --- the package's interface ------------------------------------------------------------------------------


def test_render_names_an_unknown_format_and_the_choices():
    with pytest.raises(ValueError, match=r"'pdf'.*md, html, xlsx, csv, json"):
        render(summary_of("md"), "pdf")


def test_render_refuses_a_summary_made_for_another_audience():
    with pytest.raises(ValueError, match="report"):
        render(summary_of("json"), "md")     # a facilitator summary would put hidden names into the report


def test_render_refuses_an_unknown_csv_delimiter():
    with pytest.raises(ValueError, match="delimiter"):
        render(summary_of("csv"), "csv", delimiter="|")


@pytest.mark.parametrize("title, fmt, expected", [
    ("Velfærd 2030: Tænk nu, hvis…", "xlsx", "hvis-velfaerd-2030-taenk-nu-hvis-ab12cd34.xlsx"),
    ("Å, børn & ældre på Ærø", "md", "hvis-aa-boern-aeldre-paa-aeroe-ab12cd34.md"),
    ("../../etc/passwd", "csv", "hvis-etc-passwd-ab12cd34.csv"),
    ("🎉", "json", "hvis-ab12cd34.json"),
])
def test_filename_is_ascii_and_names_the_session(title, fmt, expected):
    assert filename(make_session(title=title), fmt) == expected


def test_importing_the_package_loads_neither_matplotlib_nor_xlsxwriter():
    code = "import sys, bot.exports; print(sorted(m for m in sys.modules if m.startswith(('matplotlib', 'xlsxwriter'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


# --- safe.py: one table per rule --------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("  =1", "'  =1"), ("\n=1", "'\n=1"), ("＝1+1", "'＝1+1"),
    ("Flere praktikpladser", "Flere praktikpladser"), ("1+1=2", "1+1=2"), ("e-mail", "e-mail"), ("", ""),
    ("a\x00b\x1bc", "abc"), ("ok\nnæste linje", "ok\nnæste linje"),
])
def test_spreadsheet_text_never_starts_a_formula(text, expected):
    assert safe.spreadsheet(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('" onmouseover="x', "&quot; onmouseover=&quot;x"),
    ("Tom & Jerry's", "Tom &amp; Jerry&#x27;s"),
    ("højre\u202evenstre", "højrevenstre"),
])
def test_html_text_is_escaped(text, expected):
    assert safe.html_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Flere praktikpladser", "Flere praktikpladser"),
    ("første\n- anden (politiker, Jens)", r"første / - anden (politiker, Jens)"),
    ("- punkt", r"\- punkt"), ("+ punkt", r"\+ punkt"), ("* punkt", r"\* punkt"), ("# Overskrift", r"\# Overskrift"),
    ("> citat", "&gt; citat"), ("1. punkt", r"1\. punkt"), ("12) punkt", r"12\) punkt"),
    ("**fed** _kursiv_", r"\*\*fed\*\* \_kursiv\_"), ("[link](http://x)", r"\[link\](http://x)"),
    ("`kode`", r"\`kode\`"), ("a | b", r"a \| b"), ("~~væk~~", r"\~\~væk\~\~"), ("<b>&amp;", "&lt;b&gt;&amp;amp;"),
    ("titel #", r"titel \#"), ("C# og F#", "C# og F#"), ("back\\slash", r"back\\slash"),
    ("  mange   mellemrum \n\n", "mange mellemrum"),
])
def test_markdown_text_is_one_line_of_plain_text(text, expected):
    assert safe.markdown_inline(text) == expected


def test_markdown_text_in_mid_line_keeps_a_leading_dash():
    assert safe.markdown_inline("- punkt", line_start=False) == "- punkt"


# --- JSON: the contract of SPEC §8 ------------------------------------------------------------------------


def test_json_follows_the_contract():
    data = json.loads(exported("json"))
    assert exported("json").endswith(b"}\n") and "Velfærd".encode() in exported("json")   # ensure_ascii=False
    assert {"id", "title", "channel", "state", "timezone", "anonymity", "channel_name", "language", "deck",
            "start_at", "closed_at"} <= set(data["session"])
    assert data["session"]["channel"] == "C0TEMA" and data["session"]["timezone"] == "Europe/Copenhagen"
    assert [p["id"] for p in data["prompts"]] == ["unge", "tryg", "sne", "bolig"]
    for prompt in data["prompts"]:
        assert {"id", "text", "kind", "state", "due_at", "posted_at", "message_ts", "replies", "themes",
                "participants", "by_role", "scale", "vote", "top"} <= set(prompt)
        assert prompt["kind"] in ("open", "scale", "vote") and isinstance(prompt["due_at"], str)
        for reply in prompt["replies"]:
            assert {"id", "user", "role", "text", "ts", "edited", "votes", "name", "anonymous", "source",
                    "created_at", "late"} <= set(reply)
            assert isinstance(reply["edited"], bool) and isinstance(reply["anonymous"], bool)
            assert isinstance(reply["late"], bool) and type(reply["votes"]) is int
            assert reply["user"] is None or reply["user"].startswith("U")
        for theme in prompt["themes"]:
            assert isinstance(theme["label"], str) and all(isinstance(k, str) for k in theme["keywords"])
            assert set(theme["quotes"]) <= set(theme["reply_ids"]) <= {r["id"] for r in prompt["replies"]}
    stats = data["stats"]
    assert stats["replies"] == sum(len(p["replies"]) for p in data["prompts"]) == 15
    assert type(stats["participants"]) is int and stats["participants"] == 5   # 4 named people + 1 anonymous
    assert {"named_people", "anonymous_people", "anonymous_answers", "votes", "members", "participation",
            "by_role"} <= set(stats)
    assert sum(t["answers"] for t in data["timeline"]) == 15 and data["narrative"] is None


def test_json_lists_every_answer_with_ratings_votes_and_tallies():
    prompts = {p["id"]: p for p in json.loads(exported("json"))["prompts"]}
    assert [r["text"] for r in prompts["tryg"]["replies"]] == ["4", "5", "2", "4", "Det kommer an på lederen"]
    assert prompts["tryg"]["scale"]["n"] == 4 and prompts["tryg"]["scale"]["median"] == 4
    assert prompts["tryg"]["scale"]["distribution"][3] == {"value": 4, "count": 2}
    assert prompts["sne"]["vote"] == [{"option": "Borgerne", "count": 2}, {"option": "Kommunen", "count": 1},
                                      {"option": "Begge dele", "count": 1}]
    assert prompts["unge"]["scale"] is None and prompts["unge"]["vote"] is None
    assert prompts["unge"]["themes"] == [{"label": "praktik", "keywords": ["praktik", "mentor"],
                                          "reply_ids": ["r1", "r2"], "quotes": ["r1", "r2"]}]
    anonymous = next(r for r in prompts["unge"]["replies"] if r["id"] == "r4")
    assert anonymous["user"] is None and anonymous["name"] is None and anonymous["anonymous"] is True
    named = next(r for r in prompts["unge"]["replies"] if r["id"] == "r1")
    assert named["user"] == ANNA and named["name"] == "Anna Andersen" and named["votes"] == 4


def test_json_carries_the_narrative_when_there_is_one():
    assert json.loads(exported("json", "narrative"))["narrative"]["model"] == "lokal-7b"


# --- who may be seen ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymous_answers_carry_no_name_or_id_in_any_format(fmt):
    text = readable(fmt, exported(fmt))
    assert "Gratis buskort til alle under 25" in text
    for secret in (SOFIE, NAMES[SOFIE], SOFIE_PSEUDONYM):
        assert secret not in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_confidential_report_shows_name_hidden_and_no_names(fmt):
    text = readable(fmt, exported(fmt, mode="confidential"))
    assert "navn skjult" in text
    for user, name in NAMES.items():
        assert user not in text and name not in text


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_confidential_facilitator_formats_show_display_names(fmt):
    text = readable(fmt, exported(fmt, mode="confidential"))
    assert "Jens Hansen" in text and "Anna Andersen" in text
    assert (JENS in text) == (fmt == "json")     # raw ids only where the contract has a `user` field


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_given_named_before_the_mode_became_anonymous_show_no_one(fmt):
    text = readable(fmt, exported(fmt, mode="anonymous"))
    assert "Vi skal lytte mere til de unge" in text
    for user, name in NAMES.items():
        assert user not in text and name not in text


# --- the report: Markdown and HTML ------------------------------------------------------------------------


def test_markdown_report_says_what_the_day_said():
    text = exported("md", "narrative").decode()
    for expected in [
        "# Resultat: Velfærd 2030: Tænk nu, hvis…", "#temadag-velfaerd",
        "12. marts 2026, kl. 09.00–kl. 15.30 (Europe/Copenhagen)",
        "Hver deltager valgte selv", "- **Deltagelse:** mindst 10 % af de 40 i kanalen", "- **Svar:** 15 (heraf 3 anonyme)",
        "Tallene viser, hvor mange der deltog – de er ikke en repræsentativ meningsmåling.",
        "1. “Flere praktikpladser i kommunen” _(medarbejder, Anna Andersen · 👍 4 · spørgsmål 1)_",
        "#### praktik (2 svar)", "Nøgleord: praktik, mentor",
        "“Mentorer fra erhvervslivet / og fra foreningerne” _(medarbejder, Bo Berg · 👍 2 · redigeret)_",
        "“Gratis buskort til alle under 25” _(medarbejder, anonym · 👍 3)_",
        "“Lektiecafé på biblioteket” _(medarbejder, Carl Clausen · kom efter lukning)_",
        "- **Gennemsnit:** 3,75", "- **Median:** 4", "| 1 | slet ikke | 0 | 0 % |", "| 5 | helt trygt | 1 | 25 % |",
        "| Borgerne | 2 | 50 % |", "“Det kommer an på lederen” _(politiker, Jens Hansen)_",
        "| kl. 09.00 | 2 |", "| kl. 10.00 | 5 |", "| kl. 10.30 | 1 |",
        "## Sammendrag skrevet af en sprogmodel", "Skrevet af en sprogmodel – tjek mod svarene",
        "Politikerne &lt;b&gt;lytter&lt;/b&gt;.",
    ]:
        assert expected in text, expected
    assert "- “4”" not in text and "“Borgerne”" not in text     # ratings and votes are tallied, never listed


def test_markdown_report_lists_the_unthemed_answers_after_the_themes():
    text = exported("md").decode()
    section = text[text.index("### Øvrige svar"):text.index("## Spørgsmål 2")]
    assert "Vi skal lytte mere" in section and "Flere praktikpladser" not in section


def markdown_tokens(data: bytes):
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(data.decode())


def test_hostile_answers_stay_plain_text_in_markdown():
    tokens = markdown_tokens(exported("md", "hostile"))
    inline = [child for token in tokens if token.type == "inline" for child in token.children]
    assert {c.type for c in inline} <= {"text", "em_open", "em_close", "strong_open", "strong_close", "softbreak"}
    assert not [t for t in tokens if t.type in ("html_block", "blockquote_open", "code_block", "fence", "hr")]
    headings = ["".join(c.content for c in tokens[n + 1].children) for n, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ['Resultat: <b>Temadag</b> # [x](y) =1+1 #', "Tal fra dagen", "Dagens mest støttede idéer",
                        "Spørgsmål 1: =1+1 <i>hvad</i> nu? / - hvis", "Svar", "Spørgsmål 2: Hvor trygt er det at sige sin mening?",
                        "Spørgsmål 3: Hvem skal rydde sne?", "Spørgsmål 4: Tænk nu, hvis tilflyttere fik en bolig med det samme?",
                        "Deltagelse over tid"]
    # Each answer is one list item whose text, up to the italic attribution, is the answer verbatim on one line.
    said = {}
    for n, token in enumerate(tokens):
        if token.type == "list_item_open" and tokens[n + 2].type == "inline":
            children = tokens[n + 2].children
            end = next((k for k, c in enumerate(children) if c.type == "em_open"), len(children))
            said["".join(c.content for c in children[:end]).strip()] = children[end + 1].content if end < len(children) else ""
    for text in HOSTILE:
        one_line = safe.MD_LINE_BREAK.join(" ".join(line.split()) for line in safe.clean(text).splitlines() if line.split())
        assert f"“{one_line}”" in said, text
    assert said["“Godt / - Sænk skatten (politiker, Jens Hansen) / # Konklusion / > citat / 1. punkt”"].startswith("(anonym")


class Tags(HTMLParser):
    """Every tag and attribute of a page, its style sheet, and the text of each answer."""

    def __init__(self) -> None:
        super().__init__()
        self.tags, self.attributes, self.answers, self.style = [], [], [], ""
        self._answer: str | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._in_style = tag == "style"
        if tag == "span" and ("class", "answer") in attrs:
            self._answer = ""

    def handle_endtag(self, tag):
        self._in_style = False
        if tag == "span" and self._answer is not None:
            self.answers.append(self._answer)
            self._answer = None

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        if self._answer is not None:
            self._answer += data


def page(data: bytes) -> Tags:
    tags = Tags()
    tags.feed(data.decode())
    return tags


def test_html_is_one_self_contained_file():
    html = exported("html")
    assert b"http://" not in html and b"https://" not in html
    tags = page(html)
    assert not {"script", "link", "iframe", "object", "embed", "base", "form"} & set(tags.tags)
    images = [value for tag, name, value in tags.attributes if tag == "img" and name == "src"]
    assert len(images) == 3 and all(re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/]+=*", src) for src in images)
    assert "url(" not in tags.style and "@import" not in tags.style


def test_html_reads_on_a_phone_and_prints():
    text = exported("html").decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media print" in text and "max-width:100%" in text and "overflow-wrap:anywhere" in text
    assert '<html lang="da">' in text and "default-src 'none'" in text


def test_hostile_answers_stay_text_in_html():
    tags = page(exported("html", "hostile"))
    assert set(tags.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "section",
                              "p", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li",
                              "span", "blockquote", "figure", "img", "figcaption"}
    assert not [name for _, name, _ in tags.attributes if name.startswith("on")]
    for text in HOSTILE:
        assert f"“{safe.clean(text)}”" in tags.answers, text
    assert "<b>Temadag</b>" in exported("html", "hostile").decode().replace("&lt;", "<").replace("&gt;", ">")


# --- the facilitator's data: XLSX and CSV -----------------------------------------------------------------


def test_workbook_has_its_sheets_frozen_headers_and_filters():
    book = workbook(exported("xlsx"))
    assert book.sheetnames == ["Oversigt", "Svar", "Temaer", "Optællinger"]
    answers = book["Svar"]
    assert answers.freeze_panes == "A2" and answers.auto_filter.ref == "A1:K16"
    assert [c.value for c in answers[1]] == ["Nr.", "Nøgle", "Spørgsmål", "Svar", "Hvem", "Rolle", "Kilde",
                                             "Tidspunkt", "Stemmer", "Redigeret", "Efter lukning"]
    assert answers.column_dimensions["D"].width >= 40
    assert book["Temaer"]["D2"].value == "praktik" and book["Temaer"]["F2"].value == 2
    tallies = [[c.value for c in row] for row in book["Optællinger"].iter_rows(min_row=2)]
    assert [r[4:] for r in tallies if r[1] == "sne"] == [["Borgerne", None, 2], ["Kommunen", None, 1], ["Begge dele", None, 1]]
    assert [r[4:] for r in tallies if r[1] == "tryg"][0] == [1, "slet ikke", 0]
    overview = {row[0].value: row[1].value for row in book["Oversigt"].iter_rows(max_row=16) if row[0].value}
    assert overview["Svar"] == 15 and overview["Deltagere"] == 5 and overview["Start"] == datetime(2026, 3, 12, 9, 0)


def test_workbook_cells_have_real_types_in_local_time():
    rows = {row[3].value: row for row in workbook(exported("xlsx"))["Svar"].iter_rows(min_row=2)}
    first = rows["Flere praktikpladser i kommunen"]
    assert first[7].value == datetime(2026, 3, 12, 9, 5) and first[7].is_date     # 08:05 UTC is 09:05 in March
    assert first[0].value == 1 and type(first[8].value) is int and first[8].value == 4
    assert first[9].value is False and rows["Mentorer fra erhvervslivet\nog fra foreningerne"][9].value is True
    assert rows["Lektiecafé på biblioteket"][10].value is True
    assert first[4].value == "Anna Andersen" and rows["Gratis buskort til alle under 25"][4].value == "anonym"


def test_workbook_uses_summer_time_after_the_clocks_change():
    summary = summary_of("xlsx")
    later = replace(summary, prompts=tuple(replace(p, answers=tuple(replace(a, created_at="2026-06-01T08:05:00+00:00")
                                                                     for a in p.answers)) for p in summary.prompts))
    assert workbook(render(later, "xlsx"))["Svar"]["H2"].value == datetime(2026, 6, 1, 10, 5)


def test_formula_looking_answers_stay_text_in_the_workbook():
    data = exported("xlsx", "hostile")
    book = workbook(data)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"] and "<f>" not in readable("xlsx", data)
    texts = [row[3].value for row in book["Svar"].iter_rows(min_row=2)]
    assert texts[:7] == [safe.spreadsheet(text).replace("\r", "\n") for text in HOSTILE[:7]]
    assert all(text.startswith("'") for text in texts[:7])
    assert book["Oversigt"]["B2"].value == "<b>Temadag</b> # [x](y) =1+1 #"


def test_csv_has_a_bom_semicolons_and_the_answer_columns():
    data = exported("csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert rows[0][:4] == ["Nr.", "Nøgle", "Spørgsmål", "Svar"] and len(rows) == 16
    first = rows[1]
    assert first == ["1", "unge", "Tænk nu, hvis alle unge fik en uddannelse?", "Flere praktikpladser i kommunen",
                     "Anna Andersen", "medarbejder", "tråd", "2026-03-12 09:05:00", "4", "nej", "nej"]
    assert ["Mentorer fra erhvervslivet\nog fra foreningerne"] == [r[3] for r in rows if r[3].startswith("Mentorer")]


def test_csv_uses_commas_when_asked():
    data = render(summary_of("csv"), "csv", delimiter=",")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("Nr.,Nøgle,Spørgsmål,Svar,")
    assert csv_rows(data, ",")[1][3] == "Flere praktikpladser i kommunen"


def test_formula_looking_answers_stay_text_in_csv():
    answers = [row[3] for row in csv_rows(exported("csv", "hostile"))[1:]]
    assert answers == [safe.spreadsheet(text) for text in HOSTILE]
    assert all(a.startswith("'") for a in answers[:7]) and answers[7] == "<script>alert(1)</script>"
    assert csv_rows(exported("csv", "hostile"))[1][2] == "'=1+1 <i>hvad</i> nu?\n- hvis"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_workbook(tmp_path):
    source = tmp_path / "export.xlsx"
    source.write_bytes(exported("xlsx", "hostile"))
    filter_ = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    filter_, "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=120)
    answers = csv_rows((tmp_path / "export-Svar.csv").read_bytes())
    assert answers[1][3] == safe.spreadsheet(HOSTILE[0]) and answers[1][7] == "2026-03-12 09:05:00"


# --- every format: an empty day, English, charts ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_day_without_answers_renders_with_zeros(fmt):
    data = exported(fmt, "empty")
    if fmt == "json":
        document = json.loads(data)
        assert document["stats"]["replies"] == 0 and document["timeline"] == []
        assert all(p["replies"] == [] and p["themes"] == [] for p in document["prompts"])
    elif fmt == "xlsx":
        book = workbook(data)
        assert book["Svar"].max_row == 1 and book["Temaer"].max_row == 1
        assert book["Oversigt"]["A8"].value == "Svar" and book["Oversigt"]["B8"].value == 0
        assert book["Oversigt"]["A9"].value == "Deltagere" and book["Oversigt"]["B9"].value == 0
    elif fmt == "csv":
        assert len(csv_rows(data)) == 1
    else:
        text = data.decode()
        assert "Ingen svar." in text and "Temaer" not in text and "fra 12. marts 2026, kl. 09.00" in text
        assert re.search(r"Deltagere(:\*\*|</dt><dd>) ?0\b", text) and "Gennemsnit" in text
        assert ("data:image" in text) is False


@pytest.mark.parametrize("fmt, expected", [
    ("md", ["# Result: ", "Question 1: ", "The figures show how many took part", "anonymous", "12 March 2026, 09:00",
            "Answers by role: employee 4, politician 1", "Mean:** 3.75"]),
    ("html", ["<html lang=\"en\">", "The most supported ideas of the day", "came after closing", "Participation over time"]),
    ("xlsx", ["Overview", "Answers", "Themes", "Tallies", "anonymous", "employee", "button"]),
    ("csv", ["No.;Key;Question;Answer;Who;Role;Source;Time;Votes;Edited;After closing", "anonymous", ";no;yes"]),
])
def test_english_sessions_get_english_labels(fmt, expected):
    text = readable(fmt, exported(fmt, language="en"))
    for label in expected:
        assert label in text, label
    assert "navn skjult" not in text and "medarbejder" not in text


def test_charts_show_the_same_counts_as_the_text():
    summary = summary_of("html")
    figures = {}

    def walk(blocks):
        for block in blocks:
            if isinstance(block, outline.Section):
                walk(block.blocks)
            elif isinstance(block, outline.Figure):
                figures[block.title] = block
    walk(outline.build(summary).blocks)
    roles = figures["Svar pr. spørgsmål, fordelt på rolle"]
    assert [sum(column) for column in zip(*(values for _, values in roles.series))] == [p.replies for p in summary.prompts]
    assert {name: sum(values) for name, values in roles.series} == {"medarbejder": 13, "politiker": 2}
    assert sum(figures["Svar pr. kvarter"].series[0][1]) == summary.replies
    assert figures["Vurderinger til spørgsmål 2"].series[0][1] == (0, 1, 0, 2, 1)


def test_benchmark_runs_end_to_end(capsys):
    from benchmarks.exports import main

    assert main(["--replies", "400", "--embed", "0"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {fmt} " in out for fmt in FORMATS) and "peak RSS" in out
