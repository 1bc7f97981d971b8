"""How well find_themes recovers the gold sub-themes of a labelled Danish corpus, beside TF-IDF + k-means.

`python -m benchmarks.themes.bench [--corpus FILE]`. Per prompt and on average: adjusted Rand index (ARI) and
normalised mutual information (NMI, arithmetic mean of the entropies) of find_themes' grouping, on text alone
("lexical") and with sentence vectors ("vectors", when the embedding package is installed), and of a baseline:
word-level TF-IDF (scikit-learn's defaults: words of 2+ characters, smooth idf, unit rows) and k-means with k the
number of gold themes, run over every reply. Scoring: gold "other" and "none" replies are singletons, and so is
each reply a method leaves unassigned (the same rule for both methods; the baseline assigns every reply).
Coverage is the share of content replies (gold not "none") that get a theme; grounded is the share of label
words that occur as words of their theme's replies. Timings: find_themes on 300 replies with precomputed
vectors, and embed() per reply.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.rules.themes import Theme, embed, find_themes

CORPUS = Path(__file__).resolve().parent / "corpus_da.toml"
UNGROUPED = ("other", "none")
BAR = {"ari": 0.30, "ratio": 3.5, "coverage": 0.8, "grounded": 0.9}
LEGEND = ("lex = find_themes on text alone, vec = with embed() vectors, base = word TF-IDF + k-means (k = gold themes);\n"
          "ari/nmi against gold, where gold other/none and unassigned replies are singletons; cov = content replies\n"
          "in a theme; grd = label words found in the theme's replies; k = themes found; * = held out while developing")


@dataclass(frozen=True)
class Prompt:
    """One prompt of the corpus: its replies (id, text) in benchmark order and each reply's gold theme."""

    id: str
    held_out: bool
    replies: list[tuple[str, str]]
    gold: list[str]


def load(path: Path = CORPUS) -> list[Prompt]:
    """The corpus, each prompt's replies shuffled with a seed of its own (so gold order tells nothing)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    prompts = []
    for raw in data["prompt"]:
        pairs = [(theme, text) for theme, texts in raw["themes"].items() for text in texts]
        random.Random(raw["id"]).shuffle(pairs)
        replies = [(f"{raw['id']}-{i}", text) for i, (_, text) in enumerate(pairs)]
        prompts.append(Prompt(raw["id"], raw.get("held_out", False), replies, [theme for theme, _ in pairs]))
    return prompts


# --- scores ---------------------------------------------------------------------------------------------------

def gold_clusters(gold: Sequence[str]) -> list[str]:
    """Gold cluster names with "other" and "none" replies made singletons."""
    return [f"#{i}" if theme in UNGROUPED else theme for i, theme in enumerate(gold)]


def predicted_clusters(ids: Sequence[str], themes: Sequence[Theme]) -> list[str]:
    """The theme index of each reply, or a singleton name for an unassigned reply."""
    where = {reply_id: str(t) for t, theme in enumerate(themes) for reply_id in theme.reply_ids}
    return [where.get(reply_id, f"#{reply_id}") for reply_id in ids]


def _contingency(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Counts of items per (cluster in a, cluster in b)."""
    _, ia = np.unique(np.asarray(a), return_inverse=True)
    _, ib = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)
    return table


def ari(a: Sequence[str], b: Sequence[str]) -> float:
    """Adjusted Rand index of two clusterings of the same items (1 = identical, about 0 = chance)."""
    table = _contingency(a, b)
    n = table.sum()
    index, rows, cols = _pairs(table), _pairs(table.sum(1)), _pairs(table.sum(0))
    expected = rows * cols / (n * (n - 1) / 2)
    top = (rows + cols) / 2
    return 1.0 if top == expected else float((index - expected) / (top - expected))


def _pairs(counts: np.ndarray) -> float:
    """The number of pairs within each count, summed."""
    return float((counts * (counts - 1) / 2).sum())


def nmi(a: Sequence[str], b: Sequence[str]) -> float:
    """Normalised mutual information (by the arithmetic mean of the two entropies)."""
    table = _contingency(a, b) / len(a)
    pa, pb = table.sum(1), table.sum(0)
    nz = table > 0
    mi = float((table[nz] * np.log(table[nz] / np.outer(pa, pb)[nz])).sum())
    ha, hb = [float(-(p[p > 0] * np.log(p[p > 0])).sum()) for p in (pa, pb)]
    return 1.0 if ha + hb == 0 else 2 * mi / (ha + hb)


def coverage(ids: Sequence[str], gold: Sequence[str], themes: Sequence[Theme]) -> float:
    """Share of content replies (gold not "none") that are in some theme."""
    assigned = {reply_id for theme in themes for reply_id in theme.reply_ids}
    content = [reply_id for reply_id, g in zip(ids, gold) if g != "none"]
    return sum(reply_id in assigned for reply_id in content) / len(content)


def grounded(replies: Sequence[tuple[str, str]], themes: Sequence[Theme]) -> float:
    """Share of label words that occur as a word of one of their theme's replies."""
    text = dict(replies)
    hits = total = 0
    for theme in themes:
        vocabulary = {w for reply_id in theme.reply_ids for w in re.findall(r"\w+", text[reply_id].lower())}
        label = re.findall(r"\w+", theme.label.lower())
        hits += sum(w in vocabulary for w in label)
        total += len(label)
    return hits / total if total else 1.0


# --- baseline -------------------------------------------------------------------------------------------------

def baseline(texts: Sequence[str], k: int, seed: int = 0) -> list[str]:
    """Word-level TF-IDF + k-means (k-means++, ten seeded starts): a cluster name per text."""
    docs = [re.findall(r"(?u)\b\w\w+\b", t.lower()) for t in texts]
    vocabulary = sorted({w for doc in docs for w in doc})
    column = {w: j for j, w in enumerate(vocabulary)}
    matrix = np.zeros((len(docs), max(len(vocabulary), 1)))
    for i, doc in enumerate(docs):
        for w, c in Counter(doc).items():
            matrix[i, column[w]] = c
    df = (matrix > 0).sum(0)
    matrix *= np.log((1 + len(docs)) / (1 + df)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1)
    return [str(c) for c in _kmeans(matrix, k, np.random.default_rng(seed))]


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, starts: int = 10) -> np.ndarray:
    """Lloyd's k-means, the best of several k-means++ starts."""
    best, best_cost = None, math.inf
    for _ in range(starts):
        centres = x[[rng.integers(len(x))]]
        while len(centres) < k:
            d = ((x[:, None] - centres[None]) ** 2).sum(-1).min(1)
            p = d / d.sum() if d.sum() > 0 else None
            centres = np.vstack([centres, x[rng.choice(len(x), p=p)]])
        for _ in range(100):
            labels = ((x[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
            new = np.array([x[labels == c].mean(0) if (labels == c).any() else centres[c] for c in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        cost = ((x - centres[labels]) ** 2).sum()
        if cost < best_cost:
            best, best_cost = labels, cost
    return best


# --- running --------------------------------------------------------------------------------------------------

def score_prompt(prompt: Prompt, vectors: dict[str, list[float]] | None) -> dict[str, float]:
    """Every figure of one prompt."""
    ids = [reply_id for reply_id, _ in prompt.replies]
    gold = gold_clusters(prompt.gold)
    row: dict[str, float] = {}
    lexical = find_themes(prompt.replies)
    row.update(_figures("lex", prompt, ids, gold, lexical))
    if vectors is not None:
        row.update(_figures("vec", prompt, ids, gold, find_themes(prompt.replies, vectors=vectors)))
    k = len({g for g in prompt.gold if g not in UNGROUPED})
    base = baseline([text for _, text in prompt.replies], k)
    row["base_ari"], row["base_nmi"] = ari(gold, base), nmi(gold, base)
    return row


def _figures(key: str, prompt: Prompt, ids: list[str], gold: list[str], themes: list[Theme]) -> dict[str, float]:
    """ARI, NMI, coverage, grounding and the number of themes for one method."""
    predicted = predicted_clusters(ids, themes)
    return {f"{key}_ari": ari(gold, predicted), f"{key}_nmi": nmi(gold, predicted),
            f"{key}_cov": coverage(ids, prompt.gold, themes), f"{key}_grd": grounded(prompt.replies, themes),
            f"{key}_k": len(themes)}


def timings(prompts: list[Prompt]) -> dict[str, float]:
    """Seconds: embed() per reply (batch and one at a time), find_themes on 300 replies with and without vectors."""
    texts = [text for p in prompts for _, text in p.replies]
    replies = [(f"r{i}", texts[i % len(texts)]) for i in range(300)]
    out: dict[str, float] = {}
    started = time.perf_counter()
    vectors = embed(texts)
    if vectors is not None:
        out["embed_batch_per_reply"] = (time.perf_counter() - started) / len(texts)
        started = time.perf_counter()
        for text in texts[:40]:
            embed([text])
        out["embed_single_per_reply"] = (time.perf_counter() - started) / 40
        given = {reply_id: vectors[i % len(texts)] for i, (reply_id, _) in enumerate(replies)}
        out["find_300_vectors"] = _best_of(lambda: find_themes(replies, vectors=given))
        some = dict(list(given.items())[:284])
        out["find_300_16_missing"] = _best_of(lambda: find_themes(replies, vectors=some))
    out["find_300_lexical"] = _best_of(lambda: find_themes(replies))
    return out


def _best_of(run, times: int = 3) -> float:
    """The fastest of a few runs, in seconds."""
    best = math.inf
    for _ in range(times):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def report(prompts: list[Prompt], rows: dict[str, dict[str, float]], timing: dict[str, float]) -> str:
    """The table, the means (all, development, held out), the bar and the timings as text."""
    keys = list(next(iter(rows.values())))
    lines = [LEGEND, "", "prompt             " + " ".join(f"{k:>9}" for k in keys)]
    for prompt in prompts:
        mark = "*" if prompt.held_out else " "
        lines.append(f"{prompt.id + mark:<19}" + " ".join(f"{rows[prompt.id][k]:9.3f}" for k in keys))
    groups = {"mean": prompts, "mean dev": [p for p in prompts if not p.held_out],
              "mean held-out*": [p for p in prompts if p.held_out]}
    means = {}
    for name, members in groups.items():
        if members:
            means[name] = {k: statistics.fmean(rows[p.id][k] for p in members) for k in keys}
            lines.append(f"{name:<19}" + " ".join(f"{means[name][k]:9.3f}" for k in keys))
    lines.append("")
    lines += _verdict(means["mean"])
    lines.append("")
    lines += [f"{name:<26}{seconds * 1000:9.1f} ms" for name, seconds in timing.items()]
    return "\n".join(lines)


def _verdict(mean: dict[str, float]) -> list[str]:
    """Each method against the bar: ARI, ratio to the baseline, coverage, grounding."""
    lines = []
    for key in ("lex", "vec"):
        if f"{key}_ari" not in mean:
            continue
        ratio = mean[f"{key}_ari"] / mean["base_ari"] if mean["base_ari"] > 0 else math.inf
        passed = (mean[f"{key}_ari"] >= BAR["ari"] and ratio >= BAR["ratio"]
                  and mean[f"{key}_cov"] >= BAR["coverage"] and mean[f"{key}_grd"] >= BAR["grounded"])
        lines.append(f"{key}: ARI {mean[f'{key}_ari']:.3f} = {ratio:.1f}x baseline {mean['base_ari']:.3f}, "
                     f"coverage {mean[f'{key}_cov']:.2f}, grounded {mean[f'{key}_grd']:.2f} -> "
                     f"{'meets' if passed else 'misses'} the bar")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.themes.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="labelled corpus (TOML)")
    parser.add_argument("--no-timings", action="store_true", help="skip the timings")
    args = parser.parse_args(argv)
    prompts = load(args.corpus)
    vectors = embed([text for p in prompts for _, text in p.replies])
    by_id = None if vectors is None else dict(zip([i for p in prompts for i, _ in p.replies], vectors))
    rows = {p.id: score_prompt(p, by_id) for p in prompts}
    print(report(prompts, rows, {} if args.no_timings else timings(prompts)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
