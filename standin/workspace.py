"""In-memory Slack workspace: users, channels, messages, views, files — all guarded by one lock."""

from __future__ import annotations

import copy
import random
import secrets
import string
import threading
import time
from datetime import datetime
from typing import Any, Dict, List, Optional

_ALNUM = string.ascii_uppercase + string.digits


class SlackError(Exception):
    """A logical Web API failure, answered as HTTP 200 {"ok": false, "error": ...}."""

    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


def new_id(prefix: str, length: int = 10) -> str:
    """Return a Slack-looking id such as 'V0A1B2C3D4E'."""
    return prefix + "".join(random.choice(_ALNUM) for _ in range(length))


def ts_key(ts: str) -> tuple:
    """Sort key for Slack 'seconds.micros' timestamps (compare numerically, not as floats)."""
    sec, _, micro = str(ts).partition(".")
    return (int(sec or 0), int((micro or "0").ljust(6, "0")[:6]))


def rich_text(text: str) -> List[dict]:
    """The rich_text block Slack attaches to messages typed by people."""
    return [{"type": "rich_text", "block_id": "".join(random.choice(string.ascii_letters) for _ in range(4)),
             "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def _tz_fields(tz: str) -> dict:
    # Slack reports the label and the current UTC offset in seconds next to the zone name.
    try:
        from zoneinfo import ZoneInfo
        now = datetime.now(ZoneInfo(tz))
        return {"tz": tz, "tz_label": now.tzname() or tz, "tz_offset": int(now.utcoffset().total_seconds())}
    except Exception:  # unknown zone or no tz database: still answer like Slack would for UTC
        return {"tz": tz, "tz_label": "Coordinated Universal Time", "tz_offset": 0}


class Workspace:
    """One Slack team's state; every public method takes `lock` (re-entrant) itself."""

    def __init__(self, team_id: str, team_name: str, team_domain: str, bot_user_id: str,
                 bot_id: str, bot_name: str, app_id: str):
        self.lock = threading.RLock()
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.bot_user_id, self.bot_id, self.bot_name, self.app_id = bot_user_id, bot_id, bot_name, app_id
        self.users: Dict[str, dict] = {}
        self.channels: Dict[str, dict] = {}
        self.members: Dict[str, List[str]] = {}
        self.msgs: Dict[str, List[dict]] = {}
        self.usergroups: Dict[str, dict] = {}
        self.views: Dict[str, dict] = {}          # view id -> stored view (Slack shape)
        self.view_meta: Dict[str, dict] = {}      # view id -> {user, trigger_id, kind, order}
        self.stacks: Dict[str, List[str]] = {}    # user -> open modal view ids, root first
        self.home_views: Dict[str, dict] = {}
        self.ephemerals: List[dict] = []
        self.files: List[dict] = []
        self.uploads: Dict[str, dict] = {}        # upload token -> pending file
        self.triggers: Dict[str, dict] = {}
        self.response_urls: Dict[str, dict] = {}
        self.trigger_ttl = 3.0
        self._last_ts = (0, 0)
        self._view_order = 0
        self.add_user(bot_user_id, name=bot_name, real_name=bot_name.capitalize(), is_bot=True)

    # ---- ids and timestamps -------------------------------------------------------------
    def next_ts(self) -> str:
        """A unique, strictly increasing message ts derived from the wall clock."""
        with self.lock:
            now = int(time.time())
            sec, micro = self._last_ts
            if now > sec:
                sec, micro = now, 100
            else:
                micro += 100
                if micro > 999999:  # more than 9999 messages in one second: borrow the next one
                    sec, micro = sec + 1, 100
            self._last_ts = (sec, micro)
            return f"{sec}.{micro:06d}"

    def issue_trigger(self, user: str, channel: Optional[str] = None) -> str:
        """Issue a single-use trigger_id (what a click or slash command hands the app), noting where it came from."""
        with self.lock:
            tid = f"{int(time.time() * 1000)}.{random.randint(10**9, 10**10 - 1)}.{secrets.token_hex(16)}"
            self.triggers[tid] = {"user": user, "at": time.time(), "used": False, "channel": channel}
            return tid

    def consume_trigger(self, trigger_id: Optional[str]) -> str:
        """Spend a trigger_id and return its user; unknown, reused or stale ones are expired."""
        with self.lock:
            t = self.triggers.get(trigger_id or "")
            if t is None or t["used"] or time.time() - t["at"] > self.trigger_ttl:
                raise SlackError("expired_trigger_id")
            t["used"] = True
            return t["user"]

    # ---- users ------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: Optional[str] = None, is_restricted: bool = False,
                 is_ultra_restricted: bool = False, is_bot: bool = False, tz: str = "Europe/Copenhagen",
                 deleted: bool = False, email: Optional[str] = None, display_name: Optional[str] = None) -> dict:
        """Create or replace a user with Slack's users.info shape."""
        real_name = real_name if real_name is not None else name
        profile = {"title": "", "phone": "", "skype": "", "real_name": real_name,
                   "real_name_normalized": real_name, "display_name": display_name or "",
                   "display_name_normalized": display_name or "", "fields": None, "status_text": "",
                   "status_emoji": "", "status_expiration": 0, "avatar_hash": "g" + user_id[-11:].lower(),
                   "first_name": real_name.split(" ")[0], "last_name": " ".join(real_name.split(" ")[1:]),
                   "image_48": "https://secure.gravatar.com/avatar/0.jpg", "team": self.team_id}
        if email:
            profile["email"] = email
        if is_bot and user_id == self.bot_user_id:
            profile.update({"bot_id": self.bot_id, "api_app_id": self.app_id, "always_active": False})
        user = {"id": user_id, "team_id": self.team_id, "name": name, "deleted": deleted, "color": "9f69e7",
                "real_name": real_name, **_tz_fields(tz), "profile": profile, "is_admin": False,
                "is_owner": False, "is_primary_owner": False, "is_restricted": is_restricted or is_ultra_restricted,
                "is_ultra_restricted": is_ultra_restricted, "is_bot": is_bot, "is_app_user": False,
                "updated": int(time.time()), "is_email_confirmed": not is_bot, "who_can_share_contact_card": "EVERYONE"}
        with self.lock:
            self.users[user_id] = user
        return copy.deepcopy(user)

    def user(self, user_id: Optional[str]) -> dict:
        """The stored user or user_not_found."""
        with self.lock:
            if user_id not in self.users:
                raise SlackError("user_not_found")
            return self.users[user_id]

    # ---- channels -----------------------------------------------------------------------------
    def add_channel(self, channel_id: str, name: str, members=(), is_private: bool = False, topic: str = "",
                    purpose: str = "", is_archived: bool = False, bot_member: bool = True) -> dict:
        """Create a public or private channel; the bot joins it unless bot_member=False."""
        now = int(time.time())
        ch = {"id": channel_id, "name": name, "is_channel": not is_private, "is_group": is_private,
              "is_im": False, "is_mpim": False, "is_private": is_private, "created": now,
              "is_archived": is_archived, "is_general": False, "unlinked": 0, "name_normalized": name,
              "is_shared": False, "is_org_shared": False, "is_pending_ext_shared": False, "pending_shared": [],
              "context_team_id": self.team_id, "updated": now * 1000, "parent_conversation": None,
              "creator": (list(members) or [self.bot_user_id])[0], "is_ext_shared": False,
              "shared_team_ids": [self.team_id], "pending_connected_team_ids": [],
              "topic": {"value": topic, "creator": "", "last_set": 0},
              "purpose": {"value": purpose, "creator": "", "last_set": 0}, "previous_names": []}
        with self.lock:
            self.channels[channel_id] = ch
            mem = [m for m in dict.fromkeys(members)]
            if bot_member and self.bot_user_id not in mem:
                mem.append(self.bot_user_id)
            self.members[channel_id] = mem
            self.msgs.setdefault(channel_id, [])
        return copy.deepcopy(ch)

    def dm_channel(self, user_id: str) -> str:
        """The DM channel between the bot and a user, created on first use (D…)."""
        with self.lock:
            self.user(user_id)
            for cid, ch in self.channels.items():
                if ch.get("is_im") and ch.get("user") == user_id:
                    return cid
            cid = new_id("D")
            self.channels[cid] = {"id": cid, "created": int(time.time()), "is_archived": False, "is_im": True,
                                  "is_org_shared": False, "context_team_id": self.team_id,
                                  "updated": int(time.time() * 1000), "user": user_id, "is_user_deleted": False,
                                  "priority": 0}
            self.members[cid] = [user_id, self.bot_user_id]
            self.msgs[cid] = []
            return cid

    def channel(self, channel: Optional[str], for_bot: bool = True) -> dict:
        """Resolve a channel id (or a user id → DM); private channels the bot is not in are invisible."""
        with self.lock:
            if channel and channel.startswith(("U", "W")) and channel in self.users:
                channel = self.dm_channel(channel)
            ch = self.channels.get(channel or "")
            if ch is None or (for_bot and ch.get("is_private") and not self.is_member(ch["id"], self.bot_user_id)):
                raise SlackError("channel_not_found")
            return ch

    def is_member(self, channel_id: str, user_id: str) -> bool:
        """Whether user_id is in the channel's member list."""
        with self.lock:
            return user_id in self.members.get(channel_id, [])

    def channel_type(self, channel_id: str) -> str:
        """Events API channel_type: channel, group, im or mpim."""
        ch = self.channels.get(channel_id, {})
        return "im" if ch.get("is_im") else "mpim" if ch.get("is_mpim") else "group" if ch.get("is_private") else "channel"

    def render_channel(self, channel_id: str, num_members: bool = False) -> dict:
        """conversations.info shape with is_member filled in for the bot."""
        with self.lock:
            ch = copy.deepcopy(self.channels[channel_id])
            if not ch.get("is_im"):
                ch["is_member"] = self.is_member(channel_id, self.bot_user_id)
                if num_members:
                    ch["num_members"] = len(self.members.get(channel_id, []))
            return ch

    # ---- messages --------------------------------------------------------------------------
    def insert(self, channel_id: str, msg: dict) -> dict:
        """Store a message in ts order."""
        with self.lock:
            lst = self.msgs.setdefault(channel_id, [])
            lst.append(msg)
            lst.sort(key=lambda m: ts_key(m["ts"]))
            return msg

    def find(self, channel_id: str, ts: Optional[str]) -> Optional[dict]:
        """The stored (live) message with that ts, or None."""
        with self.lock:
            for m in self.msgs.get(channel_id, []):
                if m["ts"] == ts:
                    return m
            return None

    def replies(self, channel_id: str, parent_ts: str) -> List[dict]:
        """Thread replies (not the parent) in ts order."""
        with self.lock:
            return [m for m in self.msgs.get(channel_id, []) if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts]

    def remove(self, channel_id: str, ts: str) -> None:
        """Delete a message; a thread parent with replies becomes a tombstone, as in Slack."""
        with self.lock:
            msg = self.find(channel_id, ts)
            if msg is None:
                return
            if msg.get("thread_ts") == ts and self.replies(channel_id, ts):
                keep = {"thread_ts": ts, "ts": ts}
                msg.clear()
                msg.update({"type": "message", "subtype": "tombstone", "text": "This message was deleted.",
                            "user": "USLACKBOT", "hidden": True, **keep})
            else:
                self.msgs[channel_id].remove(msg)

    def render(self, channel_id: str, msg: dict, include_metadata: bool = True) -> dict:
        """A copy of a message with thread summary fields; metadata only when asked for."""
        with self.lock:
            out = copy.deepcopy(msg)
            if not include_metadata:
                out.pop("metadata", None)
            if msg.get("thread_ts") == msg["ts"]:
                reps = self.replies(channel_id, msg["ts"])
                if reps:
                    users = list(dict.fromkeys(r.get("user") for r in reps if r.get("user")))
                    out.update({"reply_count": len(reps), "reply_users_count": len(users),
                                "latest_reply": reps[-1]["ts"], "reply_users": users,
                                "is_locked": False, "subscribed": False})
            return out

    def bot_profile(self) -> dict:
        """The bot_profile object Slack embeds in bot messages."""
        return {"id": self.bot_id, "deleted": False, "name": self.bot_name, "updated": int(time.time()),
                "app_id": self.app_id, "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
                "team_id": self.team_id}

    def bot_message(self, text: str, blocks=None, attachments=None, metadata=None) -> dict:
        """A message authored by the bot, as Slack stores it."""
        msg = {"user": self.bot_user_id, "type": "message", "ts": self.next_ts(), "bot_id": self.bot_id,
               "app_id": self.app_id, "text": text or "", "team": self.team_id, "bot_profile": self.bot_profile()}
        if blocks is not None:
            msg["blocks"] = blocks
        if attachments is not None:
            msg["attachments"] = attachments
        if metadata is not None:
            msg["metadata"] = metadata
        return msg

    def thread_parent(self, channel_id: str, thread_ts: str) -> dict:
        """Resolve thread_ts (parent or any reply) to the thread's parent message."""
        with self.lock:
            if not isinstance(thread_ts, str) or "." not in thread_ts:
                raise SlackError("invalid_thread_ts")
            parent = self.find(channel_id, thread_ts)
            if parent is None:
                raise SlackError("thread_not_found")
            if parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
                parent = self.find(channel_id, parent["thread_ts"]) or parent
            return parent

    def attach_to_thread(self, channel_id: str, msg: dict, thread_ts: Optional[str]) -> None:
        """Mark msg as a reply in the thread at thread_ts (and the parent as a thread root)."""
        if not thread_ts:
            return
        with self.lock:
            parent = self.thread_parent(channel_id, thread_ts)
            parent["thread_ts"] = parent["ts"]
            msg["thread_ts"] = parent["ts"]
            msg["parent_user_id"] = parent.get("user") or parent.get("bot_id")

    # ---- views ------------------------------------------------------------------------------
    def store_view(self, view: dict, user: str, kind: str, trigger_id: Optional[str] = None,
                   view_id: Optional[str] = None, previous: Optional[str] = None, root: Optional[str] = None) -> dict:
        """Store a view as Slack echoes it back (id, hash, state, app/bot ids…)."""
        with self.lock:
            vid = view_id or new_id("V")
            old = self.views.get(vid, {})
            stored = {"id": vid, "team_id": self.team_id, "type": view.get("type", kind), "blocks": [],
                      "private_metadata": "", "callback_id": "", "state": {"values": {}},
                      "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "title": None,
                      "clear_on_close": False, "notify_on_close": False, "close": None, "submit": None,
                      "previous_view_id": old.get("previous_view_id", previous),
                      "root_view_id": old.get("root_view_id", root or vid), "app_id": self.app_id,
                      "external_id": "", "app_installed_team_id": self.team_id, "bot_id": self.bot_id}
            for k, v in view.items():
                if k not in ("id", "hash", "state", "team_id", "app_id", "bot_id", "root_view_id", "previous_view_id"):
                    stored[k] = copy.deepcopy(v)
            self.views[vid] = stored
            if vid not in self.view_meta:
                self._view_order += 1
                channel = (self.triggers.get(trigger_id or "") or {}).get("channel")
                if channel is None and previous in self.view_meta:
                    channel = self.view_meta[previous].get("channel")
                self.view_meta[vid] = {"user": user, "trigger_id": trigger_id, "kind": kind, "order": self._view_order,
                                       "channel": channel}
            return copy.deepcopy(stored)

    def find_view(self, view_id: Optional[str] = None, external_id: Optional[str] = None) -> dict:
        """Look a view up by id or external_id, else view_not_found."""
        with self.lock:
            if view_id and view_id in self.views:
                return self.views[view_id]
            if external_id:
                for v in self.views.values():
                    if v.get("external_id") == external_id:
                        return v
            raise SlackError("view_not_found")
