"""Slack Web API methods over a Workspace, answering with Slack's documented shapes and errors."""

from __future__ import annotations

import copy
import mimetypes
import secrets
import time
from typing import Any, Callable, Dict, Optional, Tuple

from .formats import missing, normalize_blocks, paginate, truthy, window
from .workspace import SlackError, new_id

# ---------------------------------------------------------------------------------------------
# Method handlers: fn(api, args) -> response fields (without "ok"); raise SlackError for ok:false.
# `api` is the ApiServer: api.ws, api.base_url, api.scopes, api.bot_posted(channel, msg).


def _postable(api, channel: Optional[str]) -> dict:
    ws = api.ws
    ch = ws.channel(channel, for_bot=False)
    if ch.get("is_archived"):
        raise SlackError("is_archived")
    if not ch.get("is_im") and not ws.is_member(ch["id"], ws.bot_user_id):
        if ch.get("is_private"):  # a private channel the bot is not in is invisible to it
            raise SlackError("channel_not_found")
        if "chat:write.public" not in api.scopes:  # public ones take posts from non-members only with this
            raise SlackError("not_in_channel")
    return ch


def _readable(api, channel: Optional[str]) -> dict:
    ch = api.ws.channel(channel)
    if not ch.get("is_im") and not api.ws.is_member(ch["id"], api.ws.bot_user_id):
        raise SlackError("not_in_channel")
    return ch


def _content(a: dict) -> Tuple[Optional[str], Optional[list], Any]:
    text, blocks, att = a.get("text"), normalize_blocks(a.get("blocks")), a.get("attachments")
    if not text and not blocks and not att:
        raise SlackError("no_text")
    if text and len(text) > 40000:
        raise SlackError("msg_too_long")
    return text, blocks, att


def _metadata(a: dict) -> Optional[dict]:
    md = a.get("metadata")
    if md is None:
        return None
    if not isinstance(md, dict) or not isinstance(md.get("event_type"), str) or not isinstance(md.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": md["event_type"], "event_payload": md.get("event_payload", {})}


def auth_test(api, a):
    """auth.test: who the token belongs to (Bolt reads user_id and bot_id)."""
    ws = api.ws
    return {"url": f"https://{ws.team_domain}.slack.com/", "team": ws.team_name, "user": ws.bot_name,
            "team_id": ws.team_id, "user_id": ws.bot_user_id, "bot_id": ws.bot_id, "is_enterprise_install": False}


def post_bot_message(api, channel_id: str, text, blocks=None, attachments=None, metadata=None,
                     thread_ts=None, broadcast=False, extra=None) -> dict:
    """Store a message from the bot (threading it when asked) and schedule its echo event."""
    ws = api.ws
    msg = ws.bot_message(text, blocks, attachments, metadata)
    msg.update(extra or {})
    ws.attach_to_thread(channel_id, msg, thread_ts)
    if thread_ts and broadcast:
        msg["subtype"] = "thread_broadcast"
    ws.insert(channel_id, msg)
    api.bot_posted(channel_id, msg)
    return msg


def chat_post_message(api, a):
    """chat.postMessage: post as the bot to a channel, DM (D…) or user id (U… → their DM)."""
    ch = _postable(api, a.get("channel"))
    text, blocks, att = _content(a)
    msg = post_bot_message(api, ch["id"], text, blocks, att, _metadata(a), a.get("thread_ts"),
                           truthy(a.get("reply_broadcast")))
    return {"channel": ch["id"], "ts": msg["ts"], "message": api.ws.render(ch["id"], msg)}


def chat_post_ephemeral(api, a):
    """chat.postEphemeral: a message only `user` sees; recorded, not stored in the channel."""
    ws = api.ws
    ch = _postable(api, a.get("channel"))
    user = ws.user(a.get("user"))["id"]
    if not ws.is_member(ch["id"], user):
        raise SlackError("user_not_in_channel")
    text, blocks, att = _content(a)
    ts = ws.next_ts()
    ws.ephemerals.append({"channel": ch["id"], "user": user, "ts": ts, "text": text or "", "blocks": blocks,
                          "attachments": att, "thread_ts": a.get("thread_ts"), "source": "chat.postEphemeral"})
    return {"message_ts": ts}


def _own_message(api, a, ts_field: str, err: str) -> Tuple[dict, dict]:
    ch = api.ws.channel(a.get("channel"))
    msg = api.ws.find(ch["id"], a.get(ts_field))
    if msg is None or msg.get("subtype") == "tombstone":
        raise SlackError("message_not_found")
    if msg.get("bot_id") != api.ws.bot_id:  # a bot token may only touch its own messages
        raise SlackError(err)
    return ch, msg


def chat_update(api, a):
    """chat.update: edit one of the bot's own messages."""
    ch, msg = _own_message(api, a, "ts", "cant_update_message")
    text, blocks, att = _content(a)
    if "text" in a:
        msg["text"] = text or ""
    for key, val in (("blocks", blocks), ("attachments", att), ("metadata", _metadata(a))):
        if val is not None:
            msg[key] = val
    msg["edited"] = {"user": api.ws.bot_user_id, "ts": api.ws.next_ts()}
    return {"channel": ch["id"], "ts": msg["ts"], "text": msg["text"], "message": api.ws.render(ch["id"], msg)}


def chat_delete(api, a):
    """chat.delete: delete one of the bot's own messages."""
    ch, msg = _own_message(api, a, "ts", "cant_delete_message")
    api.ws.remove(ch["id"], msg["ts"])
    return {"channel": ch["id"], "ts": a["ts"]}


def chat_get_permalink(api, a):
    """chat.getPermalink: the https://<domain>.slack.com/archives/... link."""
    ws = api.ws
    ch = ws.channel(a.get("channel"))
    msg = ws.find(ch["id"], a.get("message_ts"))
    if msg is None:
        raise SlackError("message_not_found")
    link = f"https://{ws.team_domain}.slack.com/archives/{ch['id']}/p{msg['ts'].replace('.', '')}"
    if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
        link += f"?thread_ts={msg['thread_ts']}&cid={ch['id']}"
    return {"channel": ch["id"], "permalink": link}


def conversations_info(api, a):
    """conversations.info: channel object (is_member from the bot's view)."""
    ch = api.ws.channel(a.get("channel"))
    return {"channel": api.ws.render_channel(ch["id"], truthy(a.get("include_num_members")))}


def conversations_members(api, a):
    """conversations.members: member ids, cursor-paginated."""
    ch = api.ws.channel(a.get("channel"))
    page, nxt = paginate(list(api.ws.members.get(ch["id"], [])), a, key=str, prefix="user")
    return {"members": page, "response_metadata": {"next_cursor": nxt}}


def conversations_history(api, a):
    """conversations.history: top-level messages newest first; metadata only when asked."""
    ws = api.ws
    ch = _readable(api, a.get("channel"))
    top = [m for m in ws.msgs.get(ch["id"], []) if m.get("thread_ts") in (None, m["ts"])
           or m.get("subtype") == "thread_broadcast"]
    top = list(reversed(window(top, a)))  # newest first
    page, nxt = paginate(top, a, key=lambda m: m["ts"], prefix="next_ts")
    meta = truthy(a.get("include_all_metadata"))
    out = {"messages": [ws.render(ch["id"], m, meta) for m in page], "has_more": bool(nxt), "pin_count": 0,
           "channel_actions_ts": None, "channel_actions_count": 0}
    if nxt:
        out["response_metadata"] = {"next_cursor": nxt}
    return out


def conversations_replies(api, a):
    """conversations.replies: thread parent then replies, oldest first."""
    ws = api.ws
    ch = _readable(api, a.get("channel"))
    if not a.get("ts"):
        raise missing("ts")
    msg = ws.find(ch["id"], a["ts"])
    if msg is None:
        raise SlackError("thread_not_found")
    parent = ws.find(ch["id"], msg.get("thread_ts")) or msg
    thread = [parent] + window(ws.replies(ch["id"], parent["ts"]), a)
    page, nxt = paginate(thread, a, key=lambda m: m["ts"], prefix="next_ts", default=1000)
    meta = truthy(a.get("include_all_metadata"))
    return {"messages": [ws.render(ch["id"], m, meta) for m in page], "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt}}


def conversations_open(api, a):
    """conversations.open: the DM (or group DM) with the given users."""
    ws = api.ws
    if a.get("channel"):
        return {"channel": {"id": ws.channel(a["channel"])["id"]}}
    users = [u.strip() for u in str(a.get("users") or "").split(",") if u.strip()]
    if not users:
        raise SlackError("users_list_not_supplied")
    for u in users:
        ws.user(u)
    wanted = set(users) | {ws.bot_user_id}
    existing = next((c for c in ws.channels.values() if (c.get("is_im") or c.get("is_mpim"))
                     and set(ws.members[c["id"]]) == wanted), None)
    if existing:
        cid = existing["id"]
    elif len(users) == 1:
        cid = ws.dm_channel(users[0])
    else:  # group DM: name follows Slack's mpdm-a--b--c-1 pattern
        names = "--".join(ws.users[u]["name"] for u in [ws.bot_user_id] + users)
        cid = ws.add_channel(new_id("G"), f"mpdm-{names}-1", members=users, is_private=True)["id"]
        ws.channels[cid].update({"is_mpim": True, "is_group": False})
    out = {"channel": ws.render_channel(cid) if truthy(a.get("return_im")) else {"id": cid}}
    if existing:
        out.update({"no_op": True, "already_open": True})
    return out


def conversations_join(api, a):
    """conversations.join: the bot joins a public channel."""
    ws = api.ws
    ch = ws.channel(a.get("channel"))
    if ch.get("is_private") or ch.get("is_im") or ch.get("is_mpim"):
        raise SlackError("method_not_supported_for_channel_type")
    if ch.get("is_archived"):
        raise SlackError("is_archived")
    out: Dict[str, Any] = {}
    if ws.is_member(ch["id"], ws.bot_user_id):
        out = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
    else:
        ws.members[ch["id"]].append(ws.bot_user_id)
    return {"channel": ws.render_channel(ch["id"]), **out}


def users_info(api, a):
    """users.info: one user object."""
    return {"user": copy.deepcopy(api.ws.user(a.get("user")))}


def users_list(api, a):
    """users.list: every user, cursor-paginated."""
    users = [copy.deepcopy(u) for u in api.ws.users.values()]
    page, nxt = paginate(users, a, key=lambda u: u["id"], prefix="user", default=1000)
    return {"members": page, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": nxt}}


def usergroups_users_list(api, a):
    """usergroups.users.list: member ids of a user group."""
    group = api.ws.usergroups.get(a.get("usergroup") or "")
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


def files_get_upload_url(api, a):
    """files.getUploadURLExternal: reserve a file id and an upload URL on this server."""
    for field in ("filename", "length"):
        if a.get(field) in (None, ""):
            raise missing(field)
    try:
        length = int(a["length"])
    except ValueError:
        raise SlackError("invalid_arguments")
    token, fid = secrets.token_urlsafe(16), new_id("F")
    api.ws.uploads[token] = {"file_id": fid, "filename": a["filename"], "length": length, "bytes": None,
                             "alt_txt": a.get("alt_txt"), "snippet_type": a.get("snippet_type")}
    return {"upload_url": f"{api.base_url}/upload/v1/{token}", "file_id": fid}


def files_complete_upload(api, a):
    """files.completeUploadExternal: finish uploads and share them into a channel."""
    ws = api.ws
    files = a.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        raise missing("files") if not files else SlackError("invalid_arguments")
    channels = [c for c in str(a.get("channels") or "").split(",") if c]
    channel_id = a.get("channel_id") or (channels[0] if channels else None)
    ch = _postable(api, channel_id) if channel_id else None
    pending = {u["file_id"]: (tok, u) for tok, u in ws.uploads.items()}
    if any(f["id"] not in pending or pending[f["id"]][1]["bytes"] is None for f in files):
        raise SlackError("file_not_found")
    now, objs = int(time.time()), []
    for f in files:
        tok, up = pending[f["id"]]
        del ws.uploads[tok]
        name, fid = up["filename"], f["id"]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        objs.append({"id": fid, "created": now, "timestamp": now, "name": name, "title": f.get("title") or name,
                     "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream", "filetype": ext,
                     "pretty_type": ext.upper(), "user": ws.bot_user_id, "user_team": ws.team_id,
                     "editable": False, "size": len(up["bytes"]), "mode": "hosted", "is_external": False,
                     "external_type": "", "is_public": bool(ch and not ch.get("is_private") and not ch.get("is_im")),
                     "public_url_shared": False, "display_as_bot": False, "username": "",
                     "url_private": f"https://files.slack.com/files-pri/{ws.team_id}-{fid}/{name}",
                     "url_private_download": f"https://files.slack.com/files-pri/{ws.team_id}-{fid}/download/{name}",
                     "permalink": f"https://{ws.team_domain}.slack.com/files/{ws.bot_user_id}/{fid}/{name}",
                     "permalink_public": f"https://slack-files.com/{ws.team_id}-{fid}-{secrets.token_hex(5)}",
                     "comments_count": 0, "is_starred": False, "shares": {}, "channels": [], "groups": [],
                     "ims": [], "has_more_shares": False, "has_rich_preview": False, "file_access": "visible"})
        ws.files.append({"id": fid, "filename": name, "title": objs[-1]["title"], "bytes": up["bytes"],
                         "channel_id": ch["id"] if ch else None, "thread_ts": a.get("thread_ts"),
                         "initial_comment": a.get("initial_comment")})
    if ch is not None:  # sharing posts a message carrying the files, as the bot
        post_bot_message(api, ch["id"], a.get("initial_comment") or "", thread_ts=a.get("thread_ts"),
                         extra={"files": copy.deepcopy(objs), "upload": True, "display_as_bot": False})
    return {"files": objs}


# name -> (handler, scopes of which any one suffices; empty = no scope needed)
METHODS: Dict[str, Tuple[Callable, Tuple[str, ...]]] = {
    "auth.test": (auth_test, ()),
    "chat.postMessage": (chat_post_message, ("chat:write",)),
    "chat.postEphemeral": (chat_post_ephemeral, ("chat:write",)),
    "chat.update": (chat_update, ("chat:write",)),
    "chat.delete": (chat_delete, ("chat:write",)),
    "chat.getPermalink": (chat_get_permalink, ()),
    "conversations.info": (conversations_info, ("channels:read", "groups:read", "im:read", "mpim:read")),
    "conversations.members": (conversations_members, ("channels:read", "groups:read", "im:read", "mpim:read")),
    "conversations.history": (conversations_history, ("channels:history", "groups:history", "im:history", "mpim:history")),
    "conversations.replies": (conversations_replies, ("channels:history", "groups:history", "im:history", "mpim:history")),
    "conversations.open": (conversations_open, ("im:write", "mpim:write")),
    "conversations.join": (conversations_join, ("channels:join",)),
    "users.info": (users_info, ("users:read",)),
    "users.list": (users_list, ("users:read",)),
    "usergroups.users.list": (usergroups_users_list, ("usergroups:read",)),
    "files.getUploadURLExternal": (files_get_upload_url, ("files:write",)),
    "files.completeUploadExternal": (files_complete_upload, ("files:write",)),
}

DEFAULT_SCOPES = ("app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write",
                  "commands", "files:write", "groups:history", "groups:read", "im:history", "im:read", "im:write",
                  "mpim:history", "mpim:read", "mpim:write", "reactions:read", "usergroups:read",
                  "users:read")
