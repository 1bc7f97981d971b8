"""Prompt decks: strict parsing of the TOML files under prompts/ (see prompts/README.md)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadInput

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
DEFAULT_DECK = "velfaerd"
KINDS = ("open", "vote", "scale")
MAX_FILE = 256 * 1024          # a deck is a page of text; anything larger is a mistake
MAX_OFFSET_MINUTES = 24 * 60   # a theme day happens within one day of its start
MAX_PROMPTS = 50
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_OFFSET = re.compile(r"^\+(?:(\d{1,5})h)?(?:(\d{1,5})m)?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Slack's own markup for mentions, broadcasts and links: a deck must not ping the channel or hide a link.
_SLACK_MARKUP = re.compile(r"<\s*[!@#][^>]*>?|<\s*[a-zA-Z][a-zA-Z0-9+.-]*:[^>]*>?|<[^<>]*\|[^<>]*>")
_DECK_KEYS = {"title", "language", "description", "auto_close", "prompts"}
_PROMPT_KEYS = {"id", "kind", "at", "remind", "close", "text", "help", "options", "scale_labels"}


@dataclass(frozen=True)
class TimeSpec:
    """Either an offset in minutes (`+45m`) or a wall-clock time (`10:30`)."""

    minutes: int | None = None
    clock: tuple[int, int] | None = None

    def __str__(self) -> str:
        if self.clock is not None:
            return f"{self.clock[0]:02d}:{self.clock[1]:02d}"
        hours, minutes = divmod(self.minutes or 0, 60)
        return f"+{hours}h{minutes}m" if hours else f"+{minutes}m"


@dataclass(frozen=True)
class DeckPrompt:
    """A question as the deck plans it, before any session binds it to a time."""

    id: str
    kind: str
    at: TimeSpec
    text: str
    remind: TimeSpec | None = None
    close: TimeSpec | None = None
    help: str = ""
    options: tuple[str, ...] = ()
    scale_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deck:
    name: str
    title: str
    language: str
    prompts: tuple[DeckPrompt, ...]
    description: str = ""
    auto_close: bool = True  # the session closes itself after the last prompt's close time


def parse_time(raw: object, where: str) -> TimeSpec:
    """Parse `+1h30m`, `+45m` or `HH:MM`; raise BadInput saying where the bad value is."""
    text = str(raw).strip() if isinstance(raw, str) else None
    if text:
        offset = _OFFSET.match(text)
        if offset and (offset.group(1) or offset.group(2)):
            minutes = int(offset.group(1) or 0) * 60 + int(offset.group(2) or 0)
            if minutes > MAX_OFFSET_MINUTES:
                raise BadInput(f"{where}: {raw!r} is more than {MAX_OFFSET_MINUTES // 60} hours away; "
                               "a theme day's prompts fall within a day of its start")
            return TimeSpec(minutes=minutes)
        clock = _CLOCK.match(text)
        if clock:
            return TimeSpec(clock=(int(clock.group(1)), int(clock.group(2))))
    raise BadInput(f"{where}: {raw!r} is not a time (use an offset like +45m or +1h30m, or a clock time like 10:30)")


def resolve_deck_path(name_or_path: str | Path | None, cwd: Path | None = None) -> Path:
    """Find a deck by path, or by name under ./prompts/ or the shipped prompts/ folder."""
    name = str(name_or_path or DEFAULT_DECK)
    candidates = [Path(name)]
    if not name.endswith(".toml"):
        candidates.append(Path(name + ".toml"))
    for folder in ((cwd or Path.cwd()) / "prompts", PROMPTS_DIR):
        candidates += [folder / name, folder / f"{name}.toml"]
    for path in candidates:
        if path.is_file():
            return path
    raise BadInput(f"deck {name!r} not found (give a path to a .toml file, or one of: {', '.join(shipped_decks())})")


def shipped_decks() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.toml"))


def all_deck_paths(cwd: Path | None = None) -> list[Path]:
    """Every deck a facilitator can name: ./prompts/*.toml first, then the shipped ones."""
    paths = sorted(((cwd or Path.cwd()) / "prompts").glob("*.toml")) + sorted(PROMPTS_DIR.glob("*.toml"))
    return list({path.resolve(): path for path in paths}.values())


def load_deck(name_or_path: str | Path | None = None) -> Deck:
    """Read and validate a deck; every problem is a BadInput naming the file and the prompt."""
    path = resolve_deck_path(name_or_path)
    if path.stat().st_size > MAX_FILE:
        raise BadInput(f"{path}: {path.stat().st_size} bytes is too large for a deck (at most {MAX_FILE})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise BadInput(f"{path}: nested too deeply to be a deck") from None
    return parse_deck(data, str(path), name=path.stem)


def parse_deck(data: dict, where: str, name: str = "deck") -> Deck:
    """Validate an already-parsed TOML document as a deck."""
    _no_unknown_keys(data, _DECK_KEYS, where)
    title = _text(data, "title", where, required=True, limit=150)
    language = _text(data, "language", where, required=True, limit=2)
    if language not in ("da", "en"):
        raise BadInput(f"{where}: language {language!r} is not supported (use da or en)")
    items = data.get("prompts")
    if not isinstance(items, list) or not items:
        raise BadInput(f"{where}: no prompts (add at least one [[prompts]] table)")
    if len(items) > MAX_PROMPTS:
        raise BadInput(f"{where}: {len(items)} prompts is more than a day holds (at most {MAX_PROMPTS})")
    auto_close = data.get("auto_close", True)
    if not isinstance(auto_close, bool):
        raise BadInput(f"{where}: auto_close must be true or false")
    prompts: list[DeckPrompt] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        prompt = _parse_prompt(item, f"{where}: prompt {number}")
        if prompt.id in seen:
            raise BadInput(f"{where}: prompt {prompt.id!r}: id is used twice")
        _check_order(prompts[-1] if prompts else None, prompt, f"{where}: prompt {prompt.id!r}")
        seen.add(prompt.id)
        prompts.append(prompt)
    return Deck(name=name, title=title, language=language, prompts=tuple(prompts),
                description=_text(data, "description", where, limit=1000), auto_close=auto_close)


def _check_order(previous: DeckPrompt | None, prompt: DeckPrompt, where: str) -> None:
    """Prompts are listed in the order they are posted; an offset deck starts at the session start."""
    if previous is None:
        return
    a, b = previous.at, prompt.at
    if (a.minutes is not None and b.minutes is not None and b.minutes < a.minutes) or \
            (a.clock is not None and b.clock is not None and b.clock < a.clock):
        raise BadInput(f"{where}: at {b} is before the previous prompt {previous.id!r} ({a}); list prompts in time order")


def _parse_prompt(item: object, where: str) -> DeckPrompt:
    if not isinstance(item, dict):
        raise BadInput(f"{where}: is not a table")
    raw_id = item.get("id")
    if not isinstance(raw_id, str) or not _ID.match(raw_id):
        raise BadInput(f"{where}: id {raw_id!r} must be lowercase letters, digits and '-' (at most 40)")
    where = f"{where.rsplit(': prompt', 1)[0]}: prompt {raw_id!r}"
    _no_unknown_keys(item, _PROMPT_KEYS, where)
    kind = item.get("kind")
    if kind is None:
        raise BadInput(f"{where}: 'kind' is missing (one of {', '.join(KINDS)})")
    if kind not in KINDS:
        raise BadInput(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if "at" not in item:
        raise BadInput(f"{where}: 'at' is missing (when the prompt is posted, e.g. +45m or 10:30)")
    at = parse_time(item["at"], f"{where}: at")
    remind = parse_time(item["remind"], f"{where}: remind") if "remind" in item else None
    close = parse_time(item["close"], f"{where}: close") if "close" in item else None
    for label, spec in (("remind", remind), ("close", close)):
        if spec is not None and spec.minutes == 0:
            raise BadInput(f"{where}: {label} must be after the prompt's own time")
    if remind and close and remind.minutes is not None and close.minutes is not None and remind.minutes >= close.minutes:
        raise BadInput(f"{where}: remind ({remind}) must come before close ({close})")
    options = _strings(item, "options", where, limit=75)
    if kind == "vote" and not 2 <= len(options) <= 10:
        raise BadInput(f"{where}: a vote prompt needs 2 to 10 options")
    if kind != "vote" and options:
        raise BadInput(f"{where}: options are only for kind 'vote'")
    labels = _strings(item, "scale_labels", where, limit=75)
    if labels and (kind != "scale" or len(labels) != 2):
        raise BadInput(f"{where}: scale_labels are two labels (for 1 and 5) on a 'scale' prompt")
    return DeckPrompt(id=raw_id, kind=kind, at=at, remind=remind, close=close,
                  text=_text(item, "text", where, required=True, limit=1000),
                  help=_text(item, "help", where, limit=300), options=options, scale_labels=labels)


def _no_unknown_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadInput(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _text(data: dict, key: str, where: str, required: bool = False, limit: int = 1000) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise BadInput(f"{where}: {key} must be text")
    value = value.strip()
    if required and not value:
        raise BadInput(f"{where}: {key} is missing or empty")
    if len(value) > limit:
        raise BadInput(f"{where}: {key} is {len(value)} characters (at most {limit})")
    _no_slack_markup(value, f"{where}: {key}")
    return value


def _no_slack_markup(value: str, where: str) -> None:
    """Deck text is shown as written (with *bold*), so Slack's mention, broadcast and link markup is refused."""
    found = _SLACK_MARKUP.search(value)
    if found:
        raise BadInput(f"{where}: contains Slack markup {found.group(0)!r} (a mention, @channel or disguised link); "
                       "write plain text")


def _strings(data: dict, key: str, where: str, limit: int) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadInput(f"{where}: {key} must be a list of non-empty texts")
    for v in value:
        if len(v) > limit:
            raise BadInput(f"{where}: {key}: {v[:20]!r}… is longer than {limit} characters")
        _no_slack_markup(v, f"{where}: {key}")
    return tuple(v.strip() for v in value)
