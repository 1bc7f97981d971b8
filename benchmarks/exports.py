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
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.exports import AUDIENCE, FORMATS, render
from bot.rules.summary import Turnout, summarize
from storage.records import Prompt, Reply, Session

TARGET_SECONDS = 5.0
TARGET_RSS_MB = 300.0
START = datetime(2026, 3, 12, 8, 0, tzinfo=timezone.utc)
WORDS = ("praktik mentor uddannelse unge skole job lærling vejleder trivsel fællesskab sne rydning borger "
         "nabo skovl frivillig institution pædagog forældre leg tryghed nærvær bosætning tilflytter bolig "
         "natur cykelsti fritid kultur forening idræt ældre samarbejde tillid").split()
SCALE_LABELS = ("slet ikke", "i høj grad")
OPTIONS = ("Kommunen", "Borgerne", "Begge dele")


@dataclass(frozen=True)
class Theme:
    """What bot.rules.themes hands summarize(): a label, keywords, the replies it holds and quotes."""

    label: str
    keywords: tuple[str, ...]
    reply_ids: tuple[str, ...]
    quotes: tuple[str, ...]


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
                             updated_at=at.isoformat(timespec="seconds"), ts=f"{at.timestamp():.6f}",
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


def main(argv: list[str] | None = None) -> int:
    """Measure, print the figures, and say whether the targets are met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports", description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20_000, help="replies in the session (default 20000)")
    args = parser.parse_args(argv)
    result = measure(args.replies)
    print(f"{result['replies']} replies, {len(FORMATS)} formats")
    for name, spent in result["seconds"].items():
        size = f"{result['bytes'][name] / 1e6:8.2f} MB" if name in result["bytes"] else ""
        print(f"  {name:<24} {spent:6.2f} s {size}")
    met = result["formats_total"] < TARGET_SECONDS and result["peak_rss_mb"] < TARGET_RSS_MB
    print(f"  {'five formats':<24} {result['formats_total']:6.2f} s   (target < {TARGET_SECONDS:g} s)")
    print(f"  {'with summaries':<24} {result['total']:6.2f} s")
    print(f"  {'peak RSS':<24} {result['peak_rss_mb']:6.1f} MB  (target < {TARGET_RSS_MB:g} MB)")
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
