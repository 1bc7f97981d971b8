"""An optional written summary from a language model behind an OpenAI-compatible endpoint (HVIS_LLM_URL).

Only answer texts (and the questions) are sent, with mentions removed: no user ids, names or roles.
Every quote the model returns is checked word for word against the stored answers and dropped if
it is not there. The result is labelled as machine-written; on any failure the offline summary stands.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

from bot.rules.summary import Narrative, Summary
from bot.rules.text import plain

log = logging.getLogger(__name__)
MAX_ANSWERS = 400
MAX_CHARS = 60_000
INSTRUCTIONS = {
    "da": ("Du skriver et kort, nøgternt referat på dansk af en temadag i en kommune til et politisk udvalg. "
           "Skriv 3-6 korte afsnit om de vigtigste idéer og temaer, også synspunkter fra et mindretal. "
           "Nævn ingen personer. Svar KUN med JSON: {\"summary\": \"...\", \"quotes\": [\"...\"]}, hvor quotes "
           "er 2-5 citater kopieret ordret fra svarene."),
    "en": ("You write a short, sober summary in English of a municipal theme day for a political committee. "
           "Write 3-6 short paragraphs on the main ideas and themes, minority views included. Name no one. "
           "Answer ONLY with JSON: {\"summary\": \"...\", \"quotes\": [\"...\"]}, where quotes are 2-5 quotes "
           "copied word for word from the answers."),
}


def request_body(summary: Summary, model: str) -> dict:
    """What is sent: the questions and the answer texts, nothing that says who wrote them."""
    lines, size = [], 0
    for prompt in summary.prompts:
        lines.append(f"\n## {plain(prompt.text)}")
        for answer in prompt.comments[:MAX_ANSWERS]:
            text = " ".join(plain(answer.text).split())
            size += len(text)
            if size > MAX_CHARS:
                break
            lines.append(f"- {text}")
    language = summary.session.language if summary.session.language in INSTRUCTIONS else "da"
    return {"model": model, "temperature": 0.2,
            "messages": [{"role": "system", "content": INSTRUCTIONS[language]},
                         {"role": "user", "content": "\n".join(lines)}]}


def write(summary: Summary, url: str, model: str, key: str = "", timeout: float = 30.0) -> Narrative | None:
    """Ask the model; None (and a log line without content) if it fails or answers nonsense."""
    if not url or not any(p.comments for p in summary.prompts):
        return None
    body = json.dumps(request_body(summary, model)).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url.rstrip("/") + "/chat/completions", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            content = json.loads(answer.read())["choices"][0]["message"]["content"]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("the language model gave no summary (%s); the offline summary stands", type(exc).__name__)
        return None
    return parse(content, summary, model)


def parse(content: str, summary: Summary, model: str) -> Narrative | None:
    """The model's answer as a Narrative, keeping only quotes found verbatim in the answers."""
    found = re.search(r"\{.*\}", content or "", re.DOTALL)
    try:
        data = json.loads(found.group(0)) if found else {"summary": content}
    except ValueError:
        data = {"summary": content}
    text = str(data.get("summary") or "").strip() if isinstance(data, dict) else ""
    if not text:
        return None
    answers = [" ".join(a.text.split()) for p in summary.prompts for a in p.answers]
    quotes = [" ".join(str(q).split()) for q in (data.get("quotes") or []) if isinstance(q, str)]
    kept = tuple(q for q in quotes if q and any(q.strip("“”\"'») «") in a for a in answers))
    return Narrative(text=text[:6000], quotes=kept[:5], model=model or "?")
