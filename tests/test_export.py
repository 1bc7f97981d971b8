"""`hvis export` and `hvis summary` end to end: a day the real bot collected, written by the real command line
in all five formats, to stdout or to a file that is written whole, privately and never over what it must not
touch. (The renderers themselves are tested in depth in test_exports.py.)"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.i18n import t
from bot.rules.decks import load_deck
from tests.support import CHANNEL, POLITICIAN, USERS, cli_env, hvis, wait_until

FORMATS = ("md", "html", "xlsx", "csv", "json")
TEXT_FORMATS = ("md", "html", "csv", "json")
NAMED, VOTER, HIDDEN = USERS[0], USERS[1], USERS[4]
NAMED_TEXT, POLITICIAN_TEXT = "Gratis buskort til alle unge", "Lommepengejob i kommunen"
HIDDEN_TEXT = "Snelaug på hver vej"
BOM = "\ufeff".encode()


def upcoming() -> str:
    return f"{date.today() + timedelta(days=30):%Y-%m-%d}T09:30"


def one_line(result) -> str:
    lines = result.err.splitlines()
    assert len(lines) == 1 and result.out == "", (result.out, result.err)
    return lines[0]


def files_in(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def readable(fmt: str, data: bytes) -> str:
    """What a person opening the file reads, as text."""
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    text = data.decode("utf-8-sig")
    return html.unescape(text) if fmt == "html" else text


@pytest.fixture
def day(bot, live_session, stub, settings):
    """A running session's first prompt answered named, by a politician and anonymously, with one vote."""
    session, prompt = live_session
    named = stub.post_as_user(NAMED, CHANNEL, NAMED_TEXT, thread_ts=prompt.message_ts)
    stub.post_as_user(POLITICIAN, CHANNEL, POLITICIAN_TEXT, thread_ts=prompt.message_ts)
    stub.click(HIDDEN, CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id))
    view = wait_until(lambda: stub.last_view(HIDDEN), "the answer modal")
    assert stub.submit_view(HIDDEN, view["id"], {"answer": {"value": HIDDEN_TEXT}}).status == 200
    wait_until(lambda: [r for r in bot.store.replies.of_session(session.id) if r.anonymous and r.ts],
               "the anonymous answer posted in the thread")
    assert stub.react(VOTER, CHANNEL, named.ts, "+1").status == 200
    return session


@pytest.fixture
def export(tmp_path):
    """Run `hvis export` on a database; returns the Result."""
    def run(db: Path, session_id: str, fmt: str, *extra: str):
        return hvis("export", session_id, "--format", fmt, *extra, env=cli_env(db), cwd=tmp_path)
    return run


@pytest.fixture
def planned(tmp_path) -> tuple[Path, str]:
    """A database in its own folder holding one session without any answers: (database, session id)."""
    db = tmp_path / "data" / "hvis.db"
    result = hvis("session", "create", "--title", "Tom dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                  env=cli_env(db), cwd=tmp_path)
    assert result.code == 0, result.err
    return db, result.out.strip()


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def check_contract(data: bytes, session_id: str) -> None:
    """The JSON other programs read (SPEC §8), as the command line writes it."""
    parsed = json.loads(data)
    assert {k: parsed["session"][k] for k in ("id", "channel", "state", "timezone", "anonymity")} == {
        "id": session_id, "channel": CHANNEL, "state": "running", "timezone": "Europe/Copenhagen",
        "anonymity": "choice"}
    first = parsed["prompts"][0]
    assert first["state"] == "posted" and first["posted_at"] and first["message_ts"]
    replies = {r["text"]: r for r in first["replies"]}
    assert {k: replies[NAMED_TEXT][k] for k in ("user", "role", "votes", "edited")} == {
        "user": NAMED, "role": "employee", "votes": 1, "edited": False}
    assert replies[POLITICIAN_TEXT]["role"] == "politician"
    assert replies[HIDDEN_TEXT]["user"] is None
    assert {k: parsed["stats"][k] for k in ("replies", "participants")} == {"replies": 3, "participants": 3}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_holds_the_days_answers_with_names_and_without_the_anonymous_author(day, settings, export,
                                                                                          out, fmt):
    target = out / f"temadag.{fmt}"
    result = export(settings.db_path, day.id, fmt, "--out", str(target))
    assert result.code == 0 and result.out == "", result.err
    text = readable(fmt, target.read_bytes())
    assert NAMED_TEXT in text and POLITICIAN_TEXT in text and HIDDEN_TEXT in text
    assert HIDDEN not in text and f"Person {HIDDEN}" not in text
    if fmt == "json":  # the contract carries user ids; every other format shows people by their display names
        check_contract(target.read_bytes(), day.id)
    else:
        assert "Karen Holm" in text and POLITICIAN not in text


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_text_formats_go_to_stdout_without_out_and_match_the_file(planned, export, out, fmt):
    db, session_id = planned
    printed = export(db, session_id, fmt)
    assert printed.code == 0 and printed.err == ""
    export(db, session_id, fmt, "--out", str(out / f"day.{fmt}"))
    assert printed.out == (out / f"day.{fmt}").read_bytes().decode("utf-8-sig")


def check_empty_json(data: bytes, prompts: int) -> None:
    parsed = json.loads(data)
    assert {k: parsed["stats"][k] for k in ("replies", "participants")} == {"replies": 0, "participants": 0}
    assert len(parsed["prompts"]) == prompts
    assert all(p["replies"] == [] and p["themes"] == [] for p in parsed["prompts"])


def check_empty_csv(data: bytes, prompts: int) -> None:
    [header] = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert header[:4] == [t("da", "sheet.number"), t("da", "sheet.key"), t("da", "sheet.question"),
                          t("da", "sheet.answer")]


def check_empty_workbook(data: bytes, prompts: int) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for sheet in ("sheet.answers", "sheet.themes"):
        rows = list(book[t("da", sheet)].iter_rows(values_only=True))
        assert len(rows) == 1, f"{t('da', sheet)} has only its header"


def check_empty_report(data: bytes, prompts: int) -> None:
    text = html.unescape(data.decode("utf-8"))
    nothing = t("da", "report.answers_from", answers=t("da", "report.answers_n", n=0),
                people=t("da", "report.people_n", n=0))
    assert text.count(nothing) == prompts, "every prompt says it got 0 answers from 0 people"
    assert t("da", "report.no_answers") in text and t("da", "report.no_top") in text
    assert t("da", "report.themes") not in text


EMPTY_CHECKS = {"md": check_empty_report, "html": check_empty_report, "xlsx": check_empty_workbook,
                "csv": check_empty_csv, "json": check_empty_json}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_session_without_answers_exports_cleanly_with_zeros_and_no_themes(planned, export, out, fmt):
    db, session_id = planned
    target = out / f"tom.{fmt}"
    result = export(db, session_id, fmt, "--out", str(target))
    assert result.code == 0, result.err
    EMPTY_CHECKS[fmt](target.read_bytes(), len(load_deck("velfaerd").prompts))


@pytest.mark.parametrize("given, expected", [((), ";"), (("--delimiter", ","), ","), (("--delimiter", ";"), ";")])
def test_csv_starts_with_a_bom_and_uses_semicolons_unless_told(planned, export, out, given, expected):
    db, session_id = planned
    target = out / "day.csv"
    assert export(db, session_id, "csv", "--out", str(target), *given).code == 0
    data = target.read_bytes()
    assert data.startswith(BOM), "Excel needs the BOM to read æ, ø and å"
    header = data[len(BOM):].decode("utf-8").splitlines()[0]
    assert header.split(expected)[:3] == [t("da", "sheet.number"), t("da", "sheet.key"), t("da", "sheet.question")]


def test_a_file_export_replaces_the_old_file_whole_and_privately(planned, export, out, tmp_path):
    db, session_id = planned
    target = out / "day.json"
    assert export(db, session_id, "json", "--out", str(target)).code == 0
    old = target.read_bytes()
    assert hvis("session", "close", session_id, env=cli_env(db), cwd=tmp_path).code == 0  # the export changes
    with target.open("rb") as reader_of_the_old_file:
        again = export(db, session_id, "json", "--out", str(target))
        assert again.code == 0, again.err
        assert reader_of_the_old_file.read() == old, "the old file was rewritten in place, not replaced"
    assert json.loads(target.read_bytes())["session"]["state"] == "closed"
    assert sorted(os.listdir(out)) == ["day.json"], "no temporary file is left behind"
    assert target.stat().st_mode & 0o777 == 0o600


PROTECTED = ["hvis.db", "hvis.db-wal", "hvis.db-shm", "keys/hvis.json", "keys/hvis.json.lock", "link-to-db"]


@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
@pytest.mark.parametrize("name", PROTECTED)
def test_export_never_writes_over_the_database_or_its_key_store(planned, export, name, force):
    db, session_id = planned  # its key store is data/keys/hvis.json (cli_env)
    (db.parent / "link-to-db").symlink_to(db)
    target = (db.parent / name).resolve()
    before = target.read_bytes() if target.exists() else None
    result = export(db, session_id, "json", "--out", str(db.parent / name), *(["--force"] if force else []))
    assert result.code == 2 and "database or its key store" in one_line(result)
    assert (target.read_bytes() if target.exists() else None) == before


def test_export_refuses_a_file_it_did_not_write_unless_forced(planned, export, out):
    db, session_id = planned
    notes = out / "noter.md"
    notes.write_text("Mine egne noter fra planlægningen\n", encoding="utf-8")
    refused = export(db, session_id, "md", "--out", str(notes))
    assert refused.code == 2 and "--force" in one_line(refused)
    assert notes.read_text(encoding="utf-8") == "Mine egne noter fra planlægningen\n"
    forced = export(db, session_id, "md", "--out", str(notes), "--force")
    assert forced.code == 0 and notes.read_text(encoding="utf-8").startswith("# ")


def test_export_may_fill_an_empty_file_made_for_it(planned, export, out):
    db, session_id = planned
    target = out / "tom.json"
    target.touch()  # as mktemp or a file dialog leaves it
    assert export(db, session_id, "json", "--out", str(target)).code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["session"]["id"] == session_id


def test_export_refuses_its_own_file_once_a_person_has_changed_it(planned, export, out):
    db, session_id = planned
    target = out / "day.md"
    assert export(db, session_id, "md", "--out", str(target)).code == 0
    assert export(db, session_id, "md", "--out", str(target)).code == 0, "its own unchanged file may be replaced"
    target.write_text(target.read_text(encoding="utf-8") + "\nMine kommentarer\n", encoding="utf-8")
    refused = export(db, session_id, "md", "--out", str(target))
    assert refused.code == 2 and "changed" in one_line(refused)
    assert target.read_text(encoding="utf-8").endswith("Mine kommentarer\n")


@pytest.fixture
def locked(tmp_path) -> Path:
    """A folder this process may not write to (for root, which ignores modes: the immutable attribute)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("running as root without chattr: no folder can be made unwritable")
    else:
        folder.chmod(0o500)
    yield folder
    if as_root:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o700)


def test_an_unwritable_out_folder_is_exit_2_and_nothing_is_written(planned, export, locked):
    db, session_id = planned
    result = export(db, session_id, "md", "--out", str(locked / "day.md"))
    assert result.code == 2 and str(locked) in one_line(result)
    assert os.listdir(locked) == []


@pytest.mark.parametrize("where", ["no-such-folder/day.md", "out"])
def test_an_out_path_that_is_not_a_file_in_a_folder_is_exit_2(planned, export, out, tmp_path, where):
    db, session_id = planned
    result = export(db, session_id, "md", "--out", str(tmp_path / where))
    assert result.code == 2 and one_line(result).startswith("hvis")
    assert not (tmp_path / "no-such-folder").exists() and os.listdir(out) == []


def test_summary_prints_the_report_in_the_terminal(planned, tmp_path):
    db, session_id = planned
    result = hvis("summary", session_id, env=cli_env(db), cwd=tmp_path)
    assert result.code == 0, result.err
    assert result.out.startswith("# " + t("da", "report.title", title="Tom dag"))
    prompts = len(load_deck("velfaerd").prompts)
    assert all(f"## {t('da', 'report.prompt', number=n, text='')}" in result.out for n in range(1, prompts + 1))
    assert t("da", "report.no_answers") in result.out and files_in(tmp_path) == {"data"}
