"""`hvis demo` rehearses a whole theme day offline and leaves its exports in the folder it names."""

from __future__ import annotations

import io
import json
import logging
import re

from tests.support import cli_env, hvis

RAW_ID = re.compile(r"\bU[A-Z0-9]{8,}\b")


def test_demo_runs_a_theme_day_and_writes_every_export(tmp_path, caplog):
    from openpyxl import load_workbook

    caplog.set_level(logging.WARNING)
    out = tmp_path / "demo"
    result = hvis("demo", "--speed", "1500", "--out", str(out), env=cli_env(tmp_path / "unused.db"), cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    assert str(out) in result.out and "posted" in result.out and "closed itself" in result.out
    assert "Traceback" not in result.out + result.err, "a rehearsal shows no errors"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]

    data = json.loads((out / "resultat.json").read_text(encoding="utf-8"))
    replies = [r for p in data["prompts"] for r in p["replies"]]
    assert data["session"]["state"] == "closed"
    assert all(p["posted_at"] and p["state"] == "closed" for p in data["prompts"])
    assert any(r["user"] is None and r["name"] is None for r in replies), "some answered anonymously"
    assert any(r["role"] == "politician" for r in replies) and any(r["edited"] for r in replies)
    assert sum(r["votes"] for r in replies) > 20 and data["stats"]["replies"] == len(replies)
    assert any(theme["label"] for p in data["prompts"] for theme in p["themes"])

    assert (out / "resultat.md").read_text(encoding="utf-8").startswith("# Resultat")
    html = (out / "resultat.html").read_text(encoding="utf-8")
    assert "<img" in html and not re.search(r"""(src|href)=["']https?:""", html), "self-contained, charts inline"
    for fmt in ("md", "html", "csv"):
        assert not RAW_ID.search((out / f"resultat.{fmt}").read_text(encoding="utf-8")), f"{fmt}: names, never ids"
    book = load_workbook(io.BytesIO((out / "resultat.xlsx").read_bytes()), read_only=True)
    assert len(book.worksheets) >= 2
