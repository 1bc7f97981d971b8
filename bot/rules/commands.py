"""The words of `/hvis`: Danish first, English aliases. Parsing is pure; the listener does the rest."""

from __future__ import annotations

from dataclasses import dataclass

# canonical name -> (Danish words, English words, takes a session id)
SUBCOMMANDS: dict[str, tuple[str, str, bool]] = {
    "help": ("hjælp", "help", False),
    "new": ("ny", "new", False),
    "plan": ("planlæg", "plan", True),
    "start": ("start", "start", True),
    "pause": ("pause", "pause", True),
    "resume": ("fortsæt", "resume", True),
    "send": ("send", "send", True),
    "close": ("luk", "close", True),
    "cancel": ("aflys", "cancel", True),
    "summary": ("opsummering", "summary", True),
    "export": ("eksport", "export", True),
    "mine": ("mine data", "my data", False),
    "forget": ("glem mig", "forget me", False),
    "role": ("rolle", "role", False),
}
FACILITATOR_ONLY = {"new", "plan", "start", "pause", "resume", "send", "close", "cancel", "summary", "export", "role"}


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    english: bool  # the English word was used: answer in English


def parse(text: str) -> Command:
    """`planlæg 1a2b3c4d` → Command("plan", ("1a2b3c4d",), False); unknown words give `help`."""
    words = text.strip().split()
    lowered = [w.lower() for w in words]
    for name, (danish, english, _) in SUBCOMMANDS.items():
        for phrase, is_english in ((danish, False), (english, True)):
            size = len(phrase.split())
            if lowered[:size] == phrase.split():
                return Command(name, tuple(words[size:]), is_english and danish != english)
    return Command("help", tuple(words), bool(lowered) and lowered[0] in ("help", "?"))


def usage() -> str:
    """The manifest's usage hint: every subcommand in Danish (each also has its English word; tests keep the
    manifest and this list equal)."""
    return " | ".join(danish for danish, _, _ in SUBCOMMANDS.values())
