"""Xiaohongshu (RED) web API connector (``edith.xiaohongshu.com``; RED has no public content
API, these are the web endpoints community clients call): the user's profile, their notes
(cursor = the last note id, newest first), each tracked note's comments with their sub
comments, and the audience sample (a demo addition).

Auth is the browser's: the ``web_session`` cookie (the token) and a request signature in the
``x-s`` / ``x-t`` headers. Errors arrive in HTTP 200 bodies, ``{"code", "success": false,
"msg"}``: the body decides, never the status alone.

The real ``user_posted`` list carries no creation time, only ``liked_count`` and no text;
the note's card is read from ``feed`` (one POST per note: RED has no batch form) for the
notes landed in the lookback window and for any tracked note the list says too little
about. The window is judged by the note's time, or by its id, whose first 8 hex digits are
its creation second (an ObjectId).
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import date, datetime
from typing import Callable

from ingestion.http import PlatformError, PlatformHttp
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.quirks import parse_epoch_millis, parse_epoch_seconds

NOTE_PAGE = 30  # user_posted's largest `num`
COMMENT_PAGE = 30  # comment pages' largest `num` (the real site sends about 10 and ignores it)
AUDIENCE_PAGE = 50
COUNTS = ("liked_count", "collected_count", "comment_count", "share_count")
ENV_TOKEN = "KOL_XIAOHONGSHU_ACCESS_TOKEN"

_AUTH = {-100: "the web_session has expired", -101: "no web_session was sent",
         300015: "the gateway refused the request signature (x-s / x-t)"}
_THROTTLE = {300012, 300013}  # IP at risk; access frequency
# RED words its outages as code -1 with HTTP 5xx: those are judged by the status.


def placeholder_signer(uri: str, body: object) -> dict[str, str]:
    """``x-s`` / ``x-t`` headers of the right shape. RED's real signature is computed by its
    web page's script (``window._webmsxyw``); a deployment against the real site sets
    ``SIGNER`` (this module) to a function that asks such a signer. The demo only checks that
    the headers are there."""
    x_t = str(int(time.time() * 1000))
    digest = hashlib.md5(f"{x_t}{uri}{json.dumps(body, sort_keys=True) if body else ''}".encode()).hexdigest()
    payload = json.dumps({"signSvn": "56", "signType": "x2", "appId": "xhs-pc-web", "signVersion": "1",
                          "payload": digest}, separators=(",", ":"))
    return {"x-s": "XYW_" + base64.b64encode(payload.encode()).decode(), "x-t": x_t}


def note_id_time(note_id: object) -> datetime | None:
    """A note's creation second from its id (24 hex digits, the first 8 a Unix time)."""
    if not isinstance(note_id, str) or len(note_id) != 24:
        return None
    try:
        return parse_epoch_seconds(int(note_id[:8], 16))
    except ValueError:
        return None


def _sticky(note: object) -> bool:
    if not isinstance(note, dict):
        return False
    info = note.get("interact_info") if isinstance(note.get("interact_info"), dict) else {}
    return note.get("sticky") is True or info.get("sticky") is True


def _lacks_detail(note: dict) -> bool:
    info = note.get("interact_info")
    return "time" not in note or not isinstance(info, dict) or any(c not in info for c in COUNTS)


# (path, JSON body or None) -> the x-s / x-t headers of one request.
SIGNER: Callable[[str, object], dict[str, str]] = placeholder_signer


class XiaohongshuConnector:
    platform = "xiaohongshu"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self.signer = SIGNER
        self._cookie = f"web_session={http.settings.token}"
        self._cards: dict[str, dict | None] = {}

    # ------------------------------------------------------------------ one call, classified

    def _classify(self, status: int, body: object, headers) -> None:
        """Data, or a PlatformError of the right kind: ``PlatformHttp`` retries throttles and
        transient faults (those in HTTP 200 bodies included) and fails fast on the others."""
        if isinstance(body, dict) and (body.get("code") not in (None, 0) or body.get("success") is False):
            code = body.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            kind = ("auth" if code in _AUTH else "throttle" if code in _THROTTLE else
                    "throttle" if status == 429 else "transient" if status >= 500 else "fatal")
            message = f"code {body.get('code')} (HTTP {status}): {body.get('msg')}."
            if kind == "auth":
                message += (f" {_AUTH[code]}: log in to xiaohongshu.com again and set {ENV_TOKEN} to the new "
                            "web_session cookie" + (", or fix the signer" if code == 300015 else "") + ".")
            raise PlatformError(self.platform, kind, message)
        if status == 429:
            raise PlatformError(self.platform, "throttle", "HTTP 429 without a RED error body")
        if status >= 500:
            raise PlatformError(self.platform, "transient", f"HTTP {status} without a RED error body")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise PlatformError(self.platform, "fatal", f"HTTP {status} without a RED data object")

    def _data(self, method: str, path: str, params: dict, body: dict | None = None) -> dict:
        """The ``data`` object of one call, signed as the web page signs it."""
        headers = {"Cookie": self._cookie, "Origin": "https://www.xiaohongshu.com",
                   "Referer": "https://www.xiaohongshu.com/", **self.signer(path, body)}
        try:
            _, answer = self.http.request(method, path, params=params, headers=headers, json=body,
                                          classify=self._classify)
        except PlatformError as exc:
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {str(exc).split(': ', 1)[1]}") from None
        return answer["data"]

    def _pages(self, path: str, params: dict, items_key: str, num: int, cursor: str = ""):
        """RED's paging: ``cursor`` is the last id of the previous page, ``has_more`` says
        whether there is another. Yields each page's items; the caller may stop early."""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = self._data("GET", path, params | {"cursor": cursor, "num": num})
            items = data.get(items_key) or []
            if not isinstance(items, list):
                raise PlatformError(self.platform, "fatal", f"{path} answered `{items_key}` that is not a list")
            yield items
            if not data.get("has_more"):
                return
            nxt = data.get("cursor")
            seen.add(cursor)
            if not isinstance(nxt, str) or not nxt or nxt in seen:
                raise PlatformError(self.platform, "fatal",
                                    f"{path} paging did not advance (cursor {cursor!r} -> {nxt!r})")
            cursor = nxt
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    def _card(self, note: dict, query: dict) -> dict | None:
        """The note's full card from ``feed``, with its id, read once per pull; None when feed does
        not show the note the list just showed (not yet visible everywhere, or just removed)."""
        note_id = note["note_id"]
        if note_id not in self._cards:
            body = {"source_note_id": note_id, "image_formats": ["jpg", "webp", "avif"],
                    "extra": {"need_body_topic": "1"}, "xsec_token": note.get("xsec_token") or "",
                    "xsec_source": "pc_user"}
            items = self._data("POST", "/api/sns/web/v1/feed", query, body).get("items") or []
            card = next((i.get("note_card") for i in items if isinstance(i, dict) and i.get("id") == note_id
                         and isinstance(i.get("note_card"), dict)), None)
            self._cards[note_id] = None if card is None else {"note_id": note_id, **card}
        return self._cards[note_id]

    # ------------------------------------------------------------------ the day

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        track_start, look_start = tracking_window_start(day), lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        query = {EXPORT_DATE_PARAM: day.isoformat()}
        for user_id in account_ids:
            owner = {"user_id": user_id}
            info = self._data("GET", "/api/sns/web/v1/user/otherinfo", query | {"target_user_id": user_id})
            raw.records["profiles"].append(RawRecord(info, ctx | owner))

            comments_read: set[str] = set()
            for notes in self._pages("/api/sns/web/v1/user_posted", query | {"user_id": user_id,
                                     "image_formats": "jpg,webp,avif"}, "notes", NOTE_PAGE):
                times = [self._note_time(n) for n in notes]
                unread: list = []
                for note, t in zip(notes, times):
                    if t is not None and not track_start <= t < end:
                        continue
                    payload = note
                    # The card has what the list leaves out: on the real site the time and three of the
                    # four counts, everywhere the text (`desc`, with its hashtags) of the notes landed.
                    if t is not None and isinstance(note, dict) and isinstance(note.get("note_id"), str) and (
                            _lacks_detail(note) or (t >= look_start and "desc" not in note)):
                        card = self._card(note, query)
                        # What only the list says (a field RED adds to it one day) stays beside the card.
                        payload = note | card if card else note
                    # Every item is passed on, repeats included: landing counts and drops
                    # duplicates on the natural key, so the accounting sees them.
                    raw.records["post_metrics"].append(RawRecord(payload, ctx | owner))
                    if t is None or t >= look_start:
                        raw.records["posts"].append(RawRecord(payload, owner))
                    note_id = note.get("note_id") if isinstance(note, dict) else None
                    if t is not None and isinstance(note_id, str) and note_id not in comments_read:
                        comments_read.add(note_id)
                        unread.append(note)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(
                        lambda note: self._comments_on(note, user_id, query, look_start, end), unread):
                    raw.records["comments"] += comments
                # Pinned notes come first whatever their age: only the others say how far back a page is.
                known = [t for n, t in zip(notes, times) if t is not None and not _sticky(n)]
                if not notes or (known and min(known) < track_start):
                    break

            for users in self._pages("/api/sns/web/v1/user/audience_sample", query | {"user_id": user_id},
                                     "users", AUDIENCE_PAGE):
                raw.records["audience"] += [RawRecord(u, ctx | {"followed_user_id": user_id}) for u in users]
        return raw

    @staticmethod
    def _note_time(note: object) -> datetime | None:
        if not isinstance(note, dict):
            return None
        return time_or_none(parse_epoch_millis, note, "time") or note_id_time(note.get("note_id"))

    def _comments_on(self, note: dict, user_id: str, query: dict, look_start: datetime,
                     end: datetime) -> list[RawRecord]:
        """Comments and sub comments on one note written in the lookback window. A reply in the
        window can answer an older comment, so every top-level comment of the (young) note is read."""
        note_id = note["note_id"]
        xsec = note.get("xsec_token") or ""
        ctx = {"note_id": note_id, "note_user_id": user_id}
        out: list[RawRecord] = []

        def keep(items: list, context: dict) -> None:
            for item in items:
                t = time_or_none(parse_epoch_millis, item, "create_time") if isinstance(item, dict) else None
                if t is None or look_start <= t < end:
                    out.append(RawRecord(item, context))

        params = query | {"note_id": note_id, "xsec_token": xsec, "image_formats": "jpg,webp,avif"}
        for page in self._pages("/api/sns/web/v2/comment/page", params, "comments", COMMENT_PAGE):
            keep(page, ctx)
            for root in page:
                if not isinstance(root, dict) or not isinstance(root.get("id"), str):
                    continue
                sub_ctx = ctx | {"root_comment_id": root["id"]}
                subs = root.get("sub_comments")
                keep(subs if isinstance(subs, list) else [], sub_ctx)
                if root.get("sub_comment_has_more"):
                    # The first sub comments ride along with their root; the rest are paged after them.
                    sub_params = params | {"root_comment_id": root["id"]}
                    for more in self._pages("/api/sns/web/v2/comment/sub/page", sub_params, "comments", COMMENT_PAGE,
                                            cursor=root.get("sub_comment_cursor") or ""):
                        keep(more, sub_ctx)
        return out


CONNECTOR = XiaohongshuConnector
