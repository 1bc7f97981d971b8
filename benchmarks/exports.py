"""How long the five export formats take for a big theme day: `python -m benchmarks.exports [--replies N]`.

Builds a session with N replies (8 prompts: open ones with a few themes, a scale and a vote prompt)
in memory, then summarizes it for both audiences and renders every format, printing seconds per
format, the total and the peak RSS. Targets on a 2-core machine: all five formats together under
5 s, peak RSS under 300 MB. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.exports import AUDIENCE, FORMATS, render
from bot.rules.summary import Turnout, summarize
from storage.records import Prompt, Reply, Session, Theme

TARGET_SECONDS = 5.0
TARGET_RSS_MB = 300.0
START = datetime(2026, 3, 12, 8, 0, tzinfo=timezone.utc)
WORDS = ("praktik mentor uddannelse unge skole job lærling vejleder trivsel fællesskab sne rydning borger "
         "nabo skovl frivillig institution pædagog forældre leg tryghed nærvær bosætning tilflytter bolig "
         "natur cykelsti fritid kultur forening idræt ældre samarbejde tillid").split()
SCALE_LABELS = ("slet ikke", "i høj grad")
OPTIONS = ("Kommunen", "Borgerne", "Begge dele")


def theme_day(replies: int, seed: int = 2030):
    """(session, prompts, replies, names, turnout, themes): a plausible big theme day, the same for a seed."""
    rng = random.Random(seed)
    session = Session(id="bench001", team_id="T1", title="Velfærd 2030 – Tænk nu, hvis…", channel="C0BENCH",
                      deck="velfaerd", language="da", timezone="Europe/Copenhagen", anonymity="choice",
                      state="closed", start_at=START.isoformat(timespec="seconds"),
                      created_at=START.isoformat(timespec="seconds"),
                      closed_at=(START + timedelta(hours=7)).isoformat(timespec="seconds"),
                      channel_name="temadag-velfaerd", members=2500)
    kinds = ["open"] * 6 + ["scale", "vote"]
    prompts = [Prompt(id=n, session_id=session.id, key=f"p{n}", position=n, kind=kind,
                      text=f"Tænk nu, hvis {rng.choice(WORDS)} og {rng.choice(WORDS)} gik hånd i hånd?",
                      due_at=(START + timedelta(minutes=45 * (n - 1))).isoformat(timespec="seconds"), state="posted",
                      options=OPTIONS if kind == "vote" else (),
                      scale_labels=SCALE_LABELS if kind == "scale" else ())
               for n, kind in enumerate(kinds, start=1)]
    people = [f"U{n:05d}" for n in range(2000)]
    names = {user: f"Medarbejder {n}" for n, user in enumerate(people)}
    records = []
    for n in range(replies):
        prompt = prompts[n % len(prompts)]
        anonymous = rng.random() < 0.2
        user = rng.choice(people)
        role = "politician" if user.endswith("7") else "employee"
        if prompt.kind == "scale" and n % 3:
            text, source = str(rng.randint(1, 5)), "modal"
        elif prompt.kind == "vote" and n % 3:
            text, source = rng.choice(OPTIONS), "modal"
        else:
            text = " ".join(rng.choices(WORDS, k=rng.randint(6, 30))).capitalize() + "."
            source = "modal" if anonymous else "thread"
        at = START + timedelta(seconds=rng.randint(0, 7 * 3600))
        records.append(Reply(id=f"r{n}", session_id=session.id, prompt_id=prompt.id, channel=session.channel,
                             source=source, author=f"pseud{n}" if anonymous else user, anonymous=anonymous,
                             role=role, text=text, created_at=at.isoformat(timespec="seconds"),
                             updated_at=at.isoformat(timespec="seconds"), ts=f"{at.timestamp():.0f}.{n:06d}",
                             user_id=None if anonymous else user, edited=rng.random() < 0.05,
                             late=rng.random() < 0.01, votes=rng.choice((0, 0, 0, 1, 2, 5))))
    themes = {}
    for prompt in prompts[:6]:
        ids = [r.id for r in records if r.prompt_id == prompt.id]
        themes[prompt.id] = [Theme(word, (word, rng.choice(WORDS)), tuple(ids[k::5][:len(ids) // 8]),
                                   tuple(ids[k::5][:3])) for k, word in enumerate(rng.sample(WORDS, 4))]
    anonymous = sum(r.anonymous for r in records)
    turnout = Turnout(by_role={"employee": anonymous // 3, "politician": anonymous // 30})
    return session, prompts, records, names, turnout, themes


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def measure(replies: int) -> dict:
    """Seconds to summarize (per audience) and to render each format, plus sizes and peak RSS."""
    session, prompts, records, names, turnout, themes = theme_day(replies)
    seconds, sizes, summaries = {}, {}, {}
    for audience in sorted(set(AUDIENCE.values())):
        began = time.perf_counter()
        summaries[audience] = summarize(session, prompts, records, audience=audience, names=names,
                                        turnout=turnout, themes=themes)
        seconds[f"summarize ({audience})"] = time.perf_counter() - began
    for fmt in FORMATS:
        began = time.perf_counter()
        sizes[fmt] = len(render(summaries[AUDIENCE[fmt]], fmt))
        seconds[fmt] = time.perf_counter() - began
    return {"replies": replies, "seconds": seconds, "bytes": sizes,
            "formats_total": sum(seconds[fmt] for fmt in FORMATS), "total": sum(seconds.values()),
            "peak_rss_mb": peak_rss_mb()}


def measure_database(replies: int, folder: Path, embed_first: int = 96) -> dict:
    """The real path: the day stored in SQLite, its themes found at close, then every format exported from
    the database (reads, one summary per audience, rendering)."""
    from bot.services import summaries
    from bot.services.directory import Directory
    from storage import Store
    from storage.records import Person

    session, prompts, records, names, _, _ = theme_day(replies)
    store = Store(folder / "hvis.db").migrate()
    session, stored = store.sessions.create(session, [replace(p, id=0) for p in prompts])
    ids = {p.key: s.id for p, s in zip(prompts, stored, strict=True)}
    by_key = {p.id: p.key for p in prompts}
    for reply in records:
        store.replies.add(replace(reply, prompt_id=ids[by_key[reply.prompt_id]], votes=0),
                          (f"person-{reply.author}", reply.role) if reply.anonymous else None)
        for n in range(reply.votes):
            store.votes.set("T1", reply.id, f"voter{n}", "reaction", True, "1")
    store.people.save(Person(user_id=user, team_id="T1", name=name) for user, name in names.items())
    began = time.perf_counter()
    summaries.keep_themes(store, store.sessions.get(session.id), embed_first)
    themes_at_close = time.perf_counter() - began
    began = time.perf_counter()
    files = summaries.export_all(store, store.sessions.get(session.id), FORMATS, Directory(store, None, "T1"))
    return {"themes_at_close": themes_at_close, "five_formats": time.perf_counter() - began,
            "bytes": {fmt: len(data) for fmt, data in files.items()}}


def main(argv: list[str] | None = None) -> int:
    """Measure, print the figures, and say whether the targets are met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports", description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20_000, help="replies in the session (default 20000)")
    parser.add_argument("--embed", type=int, default=96,
                        help="answers embedded at close, as the bot does when it had no quiet moment (default 96)")
    args = parser.parse_args(argv)
    result = measure(args.replies)
    with tempfile.TemporaryDirectory(prefix="hvis-bench-exports-") as folder:
        stored = measure_database(args.replies, Path(folder), args.embed)
    result["peak_rss_mb"] = peak_rss_mb()
    print(f"{result['replies']} replies, {len(FORMATS)} formats, rendered from a summary in memory:")
    for name, spent in result["seconds"].items():
        size = f"{result['bytes'][name] / 1e6:8.2f} MB" if name in result["bytes"] else ""
        print(f"  {name:<24} {spent:6.2f} s {size}")
    met = stored["five_formats"] < TARGET_SECONDS and result["peak_rss_mb"] < TARGET_RSS_MB
    print(f"  {'five formats':<24} {result['formats_total']:6.2f} s")
    print(f"  {'with summaries':<24} {result['total']:6.2f} s")
    print("the same day stored in SQLite:")
    print(f"  {'themes at close':<24} {stored['themes_at_close']:6.2f} s   (once, when the session closes)")
    print(f"  {'five formats exported':<24} {stored['five_formats']:6.2f} s   (target < {TARGET_SECONDS:g} s; "
          "reads, both summaries, rendering)")
    print(f"  {'peak RSS':<24} {result['peak_rss_mb']:6.1f} MB  (target < {TARGET_RSS_MB:g} MB)")
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
