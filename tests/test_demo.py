"""`hvis demo` rehearses a whole theme day offline and leaves its exports in the folder it names."""

from __future__ import annotations

import json

from tests.support import cli_env, hvis


def test_demo_runs_a_theme_day_and_writes_exports(tmp_path):
    out = tmp_path / "demo"
    result = hvis("demo", "--speed", "1500", "--out", str(out), env=cli_env(tmp_path / "unused.db"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(out) in result.stdout and "posted" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr, "a rehearsal shows no errors"
    data = json.loads((out / "resultat.json").read_text(encoding="utf-8"))
    replies = [r for p in data["prompts"] for r in p["replies"]]
    assert data["session"]["state"] == "closed"
    assert all(p["posted_at"] and p["state"] == "closed" for p in data["prompts"])
    assert any(r["user"] is None for r in replies) and any(r["role"] == "politician" for r in replies)
    assert any(r["edited"] for r in replies) and sum(r["votes"] for r in replies) > 20
    assert (out / "resultat.md").read_text(encoding="utf-8").startswith("# Resultat")
