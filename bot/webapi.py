"""Slack out: the Web API calls the services make, through the real slack_sdk client, each failure
classified once (refused for now, refused for good, or outcome unknown).

Posting is not idempotent, so the client that posts retries only rate limits (HTTP 429: Slack did
not take the call); a 5xx, a timeout or a dropped connection may have been taken, and the outbox
looks the post up before trying again. Reads retry everything.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Iterator, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

log = logging.getLogger(__name__)

POST_EVENT = "hvis_post"  # the metadata event type on every bot post: {"key": <outbox key>}, nothing personal
REFUSED, UNKNOWN = "refused", "unknown"
# Errors after which Slack may have done the work anyway (docs: "some aspect of the operation succeeded").
_MAYBE_DONE = {"internal_error", "fatal_error"}
# Refusals worth another try later; every other refusal stands.
_PASSING = {"ratelimited", "service_unavailable", "request_timeout", "team_added_to_org", "ekm_access_denied"}
HISTORY_PAGES = 10


class SlackFailure(Exception):
    """A Slack call that did not succeed: `refused` (not done; `final` if retrying cannot help) or `unknown`."""

    def __init__(self, outcome: str, error: str, final: bool = False) -> None:
        super().__init__(f"{outcome}: {error}")
        self.outcome, self.error, self.final = outcome, error, final

    @property
    def unknown(self) -> bool:
        return self.outcome == UNKNOWN


def classify(exc: BaseException) -> SlackFailure:
    """The one classification of a failed Slack call."""
    if isinstance(exc, SlackFailure):
        return exc
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = (exc.response.data or {}).get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            return SlackFailure(REFUSED, "ratelimited")
        if status >= 500:
            return SlackFailure(UNKNOWN, error or f"HTTP {status}")
        if status != 200:
            return SlackFailure(REFUSED, error or f"HTTP {status}", final=True)
        if error in _MAYBE_DONE:
            return SlackFailure(UNKNOWN, error)
        return SlackFailure(REFUSED, error or "unknown_error", final=error not in _PASSING)
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (ConnectionRefusedError, OSError)) and getattr(reason, "errno", None) in (111, 61, 10061):
        return SlackFailure(REFUSED, "connection refused")  # nothing reached Slack
    if isinstance(exc, (OSError, SlackClientError)):
        return SlackFailure(UNKNOWN, type(reason).__name__ if not str(reason) else str(reason)[:80])
    raise exc


def build_clients(token: str, base_url: str, timeout: float) -> tuple[WebClient, WebClient]:
    """(writer, reader): the writer retries only rate limits, the reader also 5xx and connection errors."""
    writer = WebClient(token=token, base_url=base_url, timeout=timeout,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    reader = WebClient(token=token, base_url=base_url, timeout=timeout,
                       retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                       RateLimitErrorRetryHandler(max_retry_count=3),
                                       ServerErrorRetryHandler(max_retry_count=2)])
    return writer, reader


@dataclass(frozen=True)
class Upload:
    filename: str
    title: str
    content: bytes


QUICK_TIMEOUT = 2.0  # look-ups made before an acknowledgement (Slack waits 3 s for it): no retries


class Slack:
    """The Web API as the services use it. Every method raises SlackFailure, never a library error."""

    def __init__(self, writer: WebClient, reader: WebClient | None = None) -> None:
        self.writer = writer
        self.reader = reader or writer

    def __deepcopy__(self, memo: dict) -> "Slack":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    def _call(self, client: WebClient, method: str, **args) -> dict:
        try:
            return getattr(client, method)(**args).data
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise classify(exc) from exc

    # ---- posting (the outbox makes these exactly once) ---------------------------------------------
    def post(self, channel: str, message: dict, key: str | None = None, thread_ts: str | None = None) -> str:
        """Post a message (with `key` in its metadata, so it can be found again); returns its ts."""
        args = dict(message)
        if key:
            args["metadata"] = {"event_type": POST_EVENT, "event_payload": {"key": key}}
        if thread_ts:
            args["thread_ts"] = thread_ts
        return self._call(self.writer, "chat_postMessage", channel=channel, **args)["ts"]

    def find(self, channel: str, key: str, thread_ts: str | None = None, oldest: str | None = None) -> str | None:
        """The ts of our post carrying `key` in the channel (or thread), or None if Slack has none."""
        for message in self._messages(channel, thread_ts, oldest):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == POST_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return message["ts"]
        return None

    def find_files(self, channel: str, file_ids: Sequence[str], oldest: str | None = None) -> str | None:
        """The ts of the message that shared any of `file_ids` (files carry no metadata)."""
        wanted = set(file_ids)
        for message in self._messages(channel, None, oldest):
            if wanted & {f.get("id") for f in message.get("files") or []}:
                return message["ts"]
        return None

    def _messages(self, channel: str, thread_ts: str | None, oldest: str | None) -> Iterator[dict]:
        method = "conversations_replies" if thread_ts else "conversations_history"
        args = {"channel": channel, "include_all_metadata": True, "limit": 200}
        if thread_ts:
            args["ts"] = thread_ts
        if oldest:
            args["oldest"] = oldest
        return self._pages(method, "messages", args, HISTORY_PAGES)

    def _pages(self, method: str, field: str, args: dict, most: int | None = None) -> Iterator:
        """The items of a cursor-paginated read, page by page (at most `most` pages)."""
        pages = 0
        while most is None or pages < most:
            page = self._call(self.reader, method, **args)
            yield from page.get(field) or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
            args = {**args, "cursor": cursor}
            pages += 1

    def update(self, channel: str, ts: str, message: dict) -> None:
        self._call(self.writer, "chat_update", channel=channel, ts=ts, **message)

    def delete(self, channel: str, ts: str) -> bool:
        """Delete one of the bot's messages; True also when it was already gone."""
        try:
            self._call(self.writer, "chat_delete", channel=channel, ts=ts)
        except SlackFailure as failure:
            if failure.error != "message_not_found":
                raise
        return True

    def ephemeral(self, channel: str, user: str, message: dict) -> None:
        self._call(self.writer, "chat_postEphemeral", channel=channel, user=user, **message)

    def dm(self, user: str) -> str:
        """The id of the bot's direct-message channel with `user`."""
        return self._call(self.reader, "conversations_open", users=user)["channel"]["id"]

    def reserve_uploads(self, uploads: Sequence[Upload]) -> list[tuple[str, str]]:
        """Step 1 of an upload: (file id, upload URL) per file; nothing is shared yet."""
        found = []
        for upload in uploads:
            answer = self._call(self.reader, "files_getUploadURLExternal", filename=upload.filename,
                                length=len(upload.content))
            found.append((answer["file_id"], answer["upload_url"]))
        return found

    def share_uploads(self, channel: str, uploads: Sequence[Upload], reserved: Sequence[tuple[str, str]],
                      comment: str) -> None:
        """Steps 2 and 3: send the bytes, then share the files into `channel` with a comment."""
        for upload, (_, url) in zip(uploads, reserved, strict=True):
            # The upload URL takes the raw bytes without a token and must answer 200.
            request = urllib.request.Request(url, data=upload.content, method="POST",
                                             headers={"Content-Type": "application/octet-stream"})
            try:
                with urllib.request.urlopen(request, timeout=self.reader.timeout) as answer:
                    answer.read()
            except urllib.error.HTTPError as exc:
                raise SlackFailure(REFUSED, f"upload answered HTTP {exc.code}") from exc
            except OSError as exc:
                raise classify(exc) from exc
        files = [{"id": file_id, "title": upload.title} for upload, (file_id, _) in zip(uploads, reserved, strict=True)]
        self._call(self.writer, "files_completeUploadExternal", files=files, channel_id=channel,
                   initial_comment=comment)

    # ---- surfaces ---------------------------------------------------------------------------------
    def open_view(self, trigger_id: str, view: dict) -> str:
        return self._call(self.writer, "views_open", trigger_id=trigger_id, view=view)["view"]["id"]

    def push_view(self, trigger_id: str, view: dict) -> str:
        return self._call(self.writer, "views_push", trigger_id=trigger_id, view=view)["view"]["id"]

    def update_view(self, view_id: str, view: dict) -> None:
        self._call(self.writer, "views_update", view_id=view_id, view=view)

    def publish_home(self, user: str, view: dict) -> None:
        self._call(self.writer, "views_publish", user_id=user, view=view)

    # ---- reading the workspace --------------------------------------------------------------------
    def auth(self) -> dict:
        """auth.test: the workspace, the bot's user id, and the scopes granted (x-oauth-scopes)."""
        try:
            answer = self.reader.auth_test()
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise classify(exc) from exc
        return {**answer.data, "scopes": answer.headers.get("x-oauth-scopes") or ""}

    def _quick(self) -> WebClient:
        """A client for the few look-ups made before an acknowledgement: a short timeout and no retries."""
        client = getattr(self, "_quick_client", None)
        if client is None:
            client = self._quick_client = WebClient(token=self.reader.token, base_url=self.reader.base_url,
                                                    timeout=QUICK_TIMEOUT, retry_handlers=[])
        return client

    def channel(self, channel: str, quick: bool = False) -> dict:
        return self._call(self._quick() if quick else self.reader, "conversations_info", channel=channel)["channel"]

    def members(self, channel: str) -> list[str]:
        """Every member id of a channel (bots included; the caller filters)."""
        return list(self._pages("conversations_members", "members", {"channel": channel, "limit": 1000}))

    def join(self, channel: str) -> None:
        self._call(self.writer, "conversations_join", channel=channel)

    def permalink(self, channel: str, ts: str) -> str:
        return self._call(self.reader, "chat_getPermalink", channel=channel, message_ts=ts)["permalink"]

    def users(self) -> Iterator[dict]:
        """Every member of the workspace (users.list, page by page)."""
        return self._pages("users_list", "members", {"limit": 1000})

    def user(self, user_id: str, quick: bool = False) -> dict:
        return self._call(self._quick() if quick else self.reader, "users_info", user=user_id)["user"]

    def group_members(self, group_id: str) -> list[str]:
        return list(self._call(self.reader, "usergroups_users_list", usergroup=group_id).get("users") or [])
