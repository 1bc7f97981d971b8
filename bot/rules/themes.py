"""Recurring themes in the free-text replies to one prompt: groups, grounded labels and representative quotes.

Pure: no Slack, no storage, no clock, no network. Replies are compared by character 3–5-grams of their content
words (robust to Danish compounds and inflection: "bus", "busser", "busforbindelser") and, when sentence
vectors are given, by those too; a k-nearest-neighbour graph of the replies is cut by spectral clustering into
the number of themes (about √(n/1.5)) whose partition has the highest modularity. A handful of replies is grouped
by shared word roots instead. Labels and keywords are words of the theme's own replies.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from bot.rules.embedding import available, sentence_vectors
from storage.records import Theme

__all__ = ["Theme", "embed", "find_themes", "words"]

# Replies longer than this are read only up to it: a reply's opening says what it is about, and
# n-gram features of an essay would swamp the short answers around it.
MAX_CHARS = 2000
# Longer "words" are pasted codes or keyboard mashing, not something to name a theme by.
MAX_WORD = 40
NGRAMS = (3, 4, 5)
# Weight of the sentence vectors against the n-grams when both are there.
VECTOR_WEIGHT = 0.7
# Below this many content replies there is too little to cluster: replies that share a word root (one word
# being a form or compound of the other) are grouped instead.
MAX_REPLIES = 400
SMALL = 8
# A word this long or longer found inside another word is a part of that compound ("boliger" in "lejeboliger").
COMPOUND_PART = 5
# A second word joins the label when it names the group nearly as well as the first.
LABEL_SHARE = 0.9
KEYWORDS = 6
# Replies without a stored vector are embedded at close only up to this many (about 30 ms each on two cores);
# beyond it the themes are found from text alone rather than keep the summary waiting.
EMBED_AT_MOST = 16

_SLACK_MARKUP = re.compile(r"<[@#!][^>]*>|<([^>|]*)\|([^>]*)>|<([^>]*)>")
_URL = re.compile(r"https?://\S+|www\.\S+")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_WORD = re.compile(r"\w+")

# Function words, and the words of proposals that name no topic ("flere", "bedre", "mindre"). Both languages
# apply to every reply: Danish answers borrow English words and the other way round.
STOPWORDS_DA = frozenset("""
ad af aldrig én ét alene alle alt altid anden andet andre at bag bare bedre bedst begge bl blev blive bliver blot burde
bør ca da de dem den denne dens der deraf deres derfor dermed det dette dig din dine disse dit dog du efter
eftersom eks eller ellers en end endnu ene eneste enhver er et evt faktisk fik flere flest for fordi fra fx få får
færre før først gennem gjorde gjort gør gøre gøres hans har hav havde have hele helt hen hende hendes her hermed
hhv hos hun hvad hvem hver hvilke hvilken hvis hvor hvordan hvorfor hvornår i ift ikke ind ingen intet især jeg jer
jeres jo kan kl kom komme kommer kun kunne lad lidt lige ligesom lille man mange med meget mellem men mens mere
mest mht mig min mindre mine mit mod må måske nej netop nogen noget nogle nok nu ny nye nyt når og også om op os
osv over pga pr på sammen se selv ser sig sin sine sit skal skulle små som stadig stor store større så sådan thi
til ting ud uden under var ved vi via vil ville vor vores vær være været
""".split())
STOPWORDS_EN = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each either else ever few for from further get gets got had
has have having he her here hers herself him himself his how i if in into is it its itself just let me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself
""".split())
# Agreement, praise and pointers to other replies: a reply made only of these (and stopwords) has no content
# of its own ("Enig med ovenstående 👍", "Godt forslag!", "+1 fra mig", "Great idea") and joins no theme.
FILLER = frozenset("""
absolut bakker bestemt dejlig dejligt elsker enig enige fantastisk fedt fin fint flot forslag forslaget
fremragende genialt glimrende god gode godt haha hehe hej idé ide idéen ideen idéer ideer ja jep jeps klart
mega mener nemlig ok okay ovenfor ovennævnte ovenstående præcis rigtig rigtigt sejt sikkert sjovt skønt
spændende spørgsmål spørgsmålet støtter super synes syntes tak tilføje tilføjer tilslutter tommel tror tænker
tusind vildt
agree agreed amazing awesome cool exactly good great idea ideas like lol love nice please point really
suggestion thank thanks totally wow yeah yep yes
""".split())
STOPWORDS = STOPWORDS_DA | STOPWORDS_EN | FILLER



def find_themes(replies: Sequence[tuple[str, str]], language: str = "da",
                vectors: Mapping[str, Sequence[float]] | None = None) -> list[Theme]:
    """replies are (reply_id, text). Themes largest first. Deterministic (same input → same output).

    `vectors` are embed()'s vectors by reply id; without them the themes come from the text alone. `language`
    is the replies' main language; Danish and English stopwords both apply whatever it is, since answers mix
    the two, so it changes nothing today."""
    ids, texts = _unique(replies)
    docs = [[w for w in words(text) if _is_content(w)] for text in texts]
    # Grouping costs grow with the cube of the answers: beyond MAX_REPLIES the first ones are grouped (the
    # caller lists the most supported first) and the rest stay unassigned, as a reply with no content would.
    content = [i for i, doc in enumerate(docs) if doc][:MAX_REPLIES]
    if len(content) < 2:
        return []
    ids, texts, docs = [ids[i] for i in content], [texts[i] for i in content], [docs[i] for i in content]
    grams = _gram_vectors(docs)
    lexical = grams @ grams.T
    sentence = _sentence_similarity(ids, texts, vectors) if len(docs) >= SMALL else None
    similarity = lexical if sentence is None else VECTOR_WEIGHT * sentence + (1 - VECTOR_WEIGHT) * lexical
    groups = _linked_groups(docs) if len(docs) < SMALL else _clusters(similarity)
    users = _root_users(docs)
    themes = [_theme(group, ids, docs, users, similarity) for group in groups]
    first = {reply_id: i for i, reply_id in enumerate(ids)}
    return sorted(themes, key=lambda theme: (-len(theme.reply_ids), first[theme.reply_ids[0]]))


def can_embed() -> bool:
    """Whether this machine can compute sentence vectors (the embedding package is installed and loads)."""
    return available()


def embed(texts: Sequence[str]) -> list[list[float]] | None:
    """Sentence vectors for texts, or None when the embedding package is not installed/usable."""
    readable = [_readable(text) for text in texts]
    topical = [" ".join(w for w in words(text) if _is_content(w)) or plain for text, plain in zip(texts, readable)]
    vectors = sentence_vectors(readable + topical)
    if vectors is None:
        return None
    # The whole reply carries how it is meant; its content words alone carry what it is about, unblurred
    # by phrasing. Both halves together separate themes better than either (see benchmarks/themes).
    n = len(texts)
    return [[float(x) for x in np.concatenate([vectors[i], vectors[n + i]]) / math.sqrt(2)] for i in range(n)]


def words(text: str) -> list[str]:
    """The lower-case words of a reply as a reader sees it (Slack markup, links and emoji codes removed)."""
    return [w for w in _WORD.findall(_readable(text).lower()) if not w.isdigit() and w != "_"]


def _readable(text: str) -> str:
    """A reply's text as a reader sees it: Slack markup, links and emoji codes removed, cut to MAX_CHARS."""
    plain = _SLACK_MARKUP.sub(lambda m: m.group(2) or "", text[:MAX_CHARS] if isinstance(text, str) else "")
    plain = _EMOJI_CODE.sub(" ", _URL.sub(" ", plain))
    return unicodedata.normalize("NFC", plain).strip()


def _unique(replies: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Ids and texts, the first of each id only (each reply belongs to at most one theme)."""
    seen: set[str] = set()
    ids, texts = [], []
    for reply_id, text in replies:
        reply_id, text = str(reply_id), text if isinstance(text, str) else ""
        if reply_id not in seen:
            seen.add(reply_id)
            ids.append(reply_id)
            texts.append(text)
    return ids, texts


def _is_content(word: str) -> bool:
    """A word that can carry a topic: not a stopword, not a single letter, not starting with a digit, and not
    longer than any real word (Danish compounds included)."""
    return 1 < len(word) <= MAX_WORD and word not in STOPWORDS and not word[0].isdigit()


# --- comparing replies ----------------------------------------------------------------------------------------

def _gram_vectors(docs: list[list[str]]) -> np.ndarray:
    """Unit rows of sublinear TF-IDF over the character n-grams of each reply's content words."""
    grams = [Counter(g for w in doc for g in _char_grams(w)) for doc in docs]
    df = Counter(g for doc in grams for g in doc)
    # Grams of one reply only never make two replies alike, but they do count in each reply's length.
    columns = {g: j for j, g in enumerate(sorted(g for g, c in df.items() if c > 1))}
    matrix = np.zeros((len(docs), max(len(columns), 1)))
    for i, bag in enumerate(grams):
        weights = {g: (1 + math.log(c)) * (math.log((1 + len(docs)) / (1 + df[g])) + 1) for g, c in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        for g, w in weights.items():
            if g in columns:
                matrix[i, columns[g]] = w / norm
    return matrix


def _char_grams(word: str) -> list[str]:
    """The 3–5-grams of a word marked at both ends ("<bus>"), so that word starts and ends count as such."""
    marked = f"<{word}>"
    return [marked[i:i + n] for n in NGRAMS for i in range(len(marked) - n + 1)] or [marked]


def _sentence_similarity(ids: list[str], texts: list[str],
                         vectors: Mapping[str, Sequence[float]] | None) -> np.ndarray | None:
    """Cosine similarity of sentence vectors centred on their mean, or None when they cannot all be had."""
    matrix = _vectors(ids, texts, vectors)
    if matrix is None:
        return None
    # Every reply answers the same prompt, so raw cosines are all high; centring leaves what sets them apart.
    matrix = matrix - matrix.mean(axis=0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms > 0, norms, 1.0)
    return matrix @ matrix.T


def _vectors(ids: list[str], texts: list[str], vectors: Mapping[str, Sequence[float]] | None) -> np.ndarray | None:
    """One vector per reply: the given ones, with missing ones embedded now; None if that is impossible."""
    if not vectors:  # no vectors at all: the caller chose the text-only path
        return None
    given = dict(vectors)
    missing = [i for i, reply_id in enumerate(ids) if reply_id not in given]
    if len(missing) > EMBED_AT_MOST:
        return None
    fresh = embed([texts[i] for i in missing]) if missing else []
    if fresh is None:
        return None
    rows = [given.get(reply_id) for reply_id in ids]
    for i, vector in zip(missing, fresh):
        rows[i] = vector
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):  # ragged or non-numeric vectors: trust the text alone
        return None
    if matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
        return None
    return matrix


# --- grouping -------------------------------------------------------------------------------------------------

def _clusters(similarity: np.ndarray) -> list[list[int]]:
    """Groups of at least two replies (indices into the matrix), outliers left out."""
    n = len(similarity)
    neighbours = _neighbours(similarity, max(3, round(math.sqrt(n))))
    graph = _knn_graph(similarity, neighbours)
    labels = _spectral_clusters(graph)
    groups = [[i for i in range(n) if labels[i] == c] for c in sorted(set(labels.tolist()))]
    groups = [[i for i in group if _belongs(i, group, neighbours)] for group in groups]
    return [group for group in groups if len(group) >= max(2, n // 30)]


def _linked_groups(docs: list[list[str]]) -> list[list[int]]:
    """Replies linked, directly or through others, by a shared word root: the grouping for a handful of replies."""
    parent = list(range(len(docs)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            if any(_related(a, b) for a in docs[i] for b in docs[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(docs)):
        groups.setdefault(root(i), []).append(i)
    return [group for group in groups.values() if len(group) >= 2]


def _neighbours(similarity: np.ndarray, m: int) -> np.ndarray:
    """Each reply's m most similar other replies (ties by position, so the result is deterministic)."""
    s = similarity.copy()
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1, kind="stable")[:, :min(m, len(s) - 1)]


def _knn_graph(similarity: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Symmetric weights between each reply and its nearest neighbours (an edge if either picked the other)."""
    n = len(similarity)
    graph = np.zeros((n, n))
    rows = np.repeat(np.arange(n), neighbours.shape[1])
    cols = neighbours.ravel()
    # A neighbour is kept even when its similarity is not positive: every reply needs some edge.
    graph[rows, cols] = np.maximum(similarity[rows, cols], 1e-3)
    return np.maximum(graph, graph.T)


def _spectral_clusters(graph: np.ndarray) -> np.ndarray:
    """A cluster label per reply: spectral clustering of the graph into the number of themes that fits it best."""
    degree = graph.sum(axis=1)
    scale = 1 / np.sqrt(np.where(degree > 0, degree, 1.0))
    _, vectors = np.linalg.eigh(graph * scale[:, None] * scale[None, :])
    vectors = vectors[:, ::-1]
    best, best_score = np.zeros(len(graph), dtype=int), -np.inf
    for k in _theme_counts(len(graph)):
        labels = _kmeans(vectors[:, :k], k)
        score = _modularity(graph, labels)
        if score > best_score + 1e-9:
            best, best_score = labels, score
    return best


def _theme_counts(n: int) -> range:
    """The numbers of themes worth trying for n replies: around √(n/1.5), so about 5 for 36 replies.

    Readers take in a handful of themes; the graph's modularity then picks within this window, since left
    to itself it prefers too few, broad themes on larger prompts."""
    middle = round(math.sqrt(n / 1.5))
    return range(max(2, middle - 1), max(2, middle - 1) + 3)


def _modularity(graph: np.ndarray, labels: np.ndarray) -> float:
    """Newman's modularity of a partition of a weighted graph: how much more weight lies inside groups than chance."""
    total = graph.sum()
    degree = graph.sum(axis=1)
    score = 0.0
    for c in set(labels.tolist()):
        inside = labels == c
        score += graph[np.ix_(inside, inside)].sum() / total - (degree[inside].sum() / total) ** 2
    return score


def _kmeans(points: np.ndarray, k: int, restarts: int = 8, rounds: int = 100) -> np.ndarray:
    """Cluster labels of k-means on unit rows, the best of several seeded k-means++ starts (deterministic)."""
    norms = np.linalg.norm(points, axis=1, keepdims=True)
    points = points / np.where(norms > 0, norms, 1.0)
    rng = np.random.default_rng(0)
    best, best_cost = np.zeros(len(points), dtype=int), np.inf
    for _ in range(restarts):
        labels, cost = _lloyd(points, _plus_plus(points, k, rng), rounds)
        if cost < best_cost - 1e-12:
            best, best_cost = labels, cost
    return best


def _plus_plus(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres."""
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distance = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        total = distance.sum()
        pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(len(points))
        centres.append(points[pick])
    return np.array(centres)


def _lloyd(points: np.ndarray, centres: np.ndarray, rounds: int) -> tuple[np.ndarray, float]:
    """Lloyd's iterations from the given centres: labels and the sum of squared distances."""
    labels = np.full(len(points), -1)
    for _ in range(rounds):
        distance = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
        new = np.argmin(distance, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(len(centres)):
            if (labels == c).any():
                centres[c] = points[labels == c].mean(axis=0)
    distance = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
    return labels, float(distance[np.arange(len(points)), labels].sum())


def _belongs(i: int, group: list[int], neighbours: np.ndarray) -> bool:
    """Whether any of a reply's nearest neighbours is in its group (otherwise it is an outlier there)."""
    return bool(set(neighbours[i].tolist()) & set(group) - {i})


# --- naming ---------------------------------------------------------------------------------------------------

def _theme(group: list[int], ids: list[str], docs: list[list[str]], users: dict[str, frozenset[int]],
           similarity: np.ndarray) -> Theme:
    """A Theme for one group: its replies, label, keywords and its most central replies as quotes."""
    members = sorted(group)
    uses = Counter(w for i in members for w in docs[i])
    share = {word: _share(users[word], set(members), len(docs)) for word in uses}
    # Equally shared words: the form used most, then the longer (more specific) word.
    ranked = sorted(uses, key=lambda w: (-share[w], -uses[w], -len(w), w))
    keywords = _distinct(ranked, KEYWORDS)
    label = _label([w for w in keywords[:2] if share[w] >= LABEL_SHARE * share[keywords[0]]])
    centrality = similarity[np.ix_(members, members)].sum(axis=1)
    order = sorted(range(len(members)), key=lambda j: (-centrality[j], members[j]))
    quotes = tuple(ids[members[j]] for j in order[:min(3, max(1, len(members) - 1))])
    return Theme(label=label, keywords=tuple(keywords), reply_ids=tuple(ids[i] for i in members), quotes=quotes)


def _share(using: frozenset[int], members: set[int], total: int) -> float:
    """How well a word names a group, from the replies using its root: the share of the group's replies that
    do less the share of the other replies that do (common inside, rare outside)."""
    outside = total - len(members)
    return len(using & members) / len(members) - (len(using - members) / outside if outside else 0.0)


def _root_users(docs: list[list[str]]) -> dict[str, frozenset[int]]:
    """For each word, the replies that use it, a form of it or a compound of it (see _uses_root)."""
    replies: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        for word in doc:
            replies.setdefault(word, set()).add(i)
    vocabulary = sorted(replies)
    # Compounds containing a word: every stretch of COMPOUND_PART letters or more of every word, looked up.
    containers: dict[str, set[str]] = {}
    for other in vocabulary:
        for start in range(len(other)):
            for end in range(start + COMPOUND_PART, len(other) + 1):
                if other[start:end] in replies:
                    containers.setdefault(other[start:end], set()).add(other)
    users = {}
    for word in vocabulary:
        root = _root(word)
        # Words starting with the root sit together in sorted order.
        forms = vocabulary[bisect.bisect_left(vocabulary, root):bisect.bisect_left(vocabulary, root + "\U0010ffff")]
        users[word] = frozenset(i for form in {*forms, *containers.get(word, ())} for i in replies[form])
    return users


def _root(word: str) -> str:
    """A word less a Danish inflection ending ("-erne", "-en", "-er"); a word of four letters is its own root."""
    return word[:max(4, len(word) - 3)]


def _uses_root(word: str, other: str) -> bool:
    """Whether `other` is a form or compound of `word`: "bussen" for "busser", "busforbindelser" for "bus",
    "lejeboliger" for "boliger" (Danish compounds put the head last)."""
    return other.startswith(_root(word)) or (len(word) >= COMPOUND_PART and word in other)


def _related(a: str, b: str) -> bool:
    """Whether either word is a form or compound of the other."""
    return _uses_root(a, b) or _uses_root(b, a)


def _distinct(ranked: list[str], count: int) -> list[str]:
    """The first `count` words, skipping forms of a word already taken ("maden" after "mad")."""
    chosen: list[str] = []
    for word in ranked:
        if len(chosen) == count:
            break
        if not any(_related(word, taken) for taken in chosen):
            chosen.append(word)
    return chosen


def _label(words_: list[str]) -> str:
    """One or two words, the first capitalised: "Busser / ungdomskort" (so labels can be listed with commas)."""
    text = " / ".join(words_)
    return text[:1].upper() + text[1:]
