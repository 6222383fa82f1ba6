"""X API v2 connector: the user (``/2/users/:id``), its timeline of own posts
(``/2/users/:id/tweets``, ``pagination_token`` paging) with their ``public_metrics``, the
replies of each post's conversation (``/2/tweets/search/recent?query=conversation_id:<id>``,
``next_token`` paging; recent search reaches seven days back, as far as the tracking window)
and the followers (``/2/users/:id/followers``). App-only bearer token in the
``Authorization`` header.

X answers in two envelopes: RFC 7807 problems (``{"title", "detail", "type"}``, with
``errors[]`` of the parameters for an invalid request) and numbered errors
(``{"errors": [{"code": 88, "message"}]}``). An HTTP 200 can carry ``errors[]`` beside the
``data`` of the items that exist (not found, not authorised to see): those are per-item and
the data is kept; a 200 with ``errors`` and no ``data`` is a failure of the whole request.
"""
from __future__ import annotations

import logging
import re
import time
from datetime import date, datetime
from functools import partial
from typing import Iterator, Mapping

from ingestion.http import PlatformError, PlatformHttp, retry_after_seconds
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.quirks import parse_count, parse_iso_time

log = logging.getLogger(__name__)

TIMELINE_PAGE = 100  # /tweets allows 5-100
SEARCH_PAGE = 100  # search/recent allows 10-100
FOLLOWERS_PAGE = 1000  # /followers allows 1-1000
# /followers lists every follower, newest first, 15 requests per 15 minutes: the audience
# sample is the first page, not millions of rows a day (the demo serves a small sample anyway).
AUDIENCE_MAX = 1_000

USER_FIELDS = "created_at,description,profile_image_url,protected,public_metrics,verified"
TWEET_FIELDS = "attachments,author_id,conversation_id,created_at,lang,public_metrics"
REPLY_FIELDS = "author_id,conversation_id,created_at,display_text_range,in_reply_to_user_id,referenced_tweets"

_SNOWFLAKE = re.compile(r"^[0-9]{1,19}$")
_THROTTLE = {88, 130}  # rate limit exceeded, over capacity
_AUTH = {32, 89, 99, 215}  # could not authenticate, invalid or expired token, bad credentials
_TRANSIENT = {131}  # internal error
_AUTH_PROBLEMS = ("client-not-enrolled", "unsupported-authentication")  # the app or token is not set up for v2


def classify(status: int, body: object) -> tuple[str, str] | None:
    """None for data (possibly with per-item errors beside it); else (kind, what)."""
    if not isinstance(body, dict):
        return ("transient" if status >= 500 else "fatal"), f"HTTP {status}"
    title, kind_url = str(body.get("title") or ""), str(body.get("type") or "")
    if status == 429:
        # The monthly cap of the product: no wait within the run (or the day) helps.
        if title == "UsageCapExceeded" or kind_url.endswith("/usage-capped"):
            return "quota", "UsageCapExceeded"
        return "throttle", "HTTP 429"
    if status == 401:
        return "auth", title or "Unauthorized"
    if status == 403 and kind_url.endswith(_AUTH_PROBLEMS):
        return "auth", kind_url.rsplit("/", 1)[-1]
    if status >= 500:
        return "transient", title or f"HTTP {status}"
    listed = body.get("errors") if isinstance(body.get("errors"), list) else []
    errors = [e for e in listed if isinstance(e, dict)]
    codes = {e.get("code") for e in errors if isinstance(e.get("code"), int)}
    if codes & _THROTTLE:
        return "throttle", f"code {min(codes & _THROTTLE)}"
    if codes & _AUTH:
        return "auth", f"code {min(codes & _AUTH)}"
    if codes & _TRANSIENT:
        return "transient", f"code {min(codes & _TRANSIENT)}"
    if status != 200:
        return "fatal", title or (f"code {min(codes)}" if codes else f"HTTP {status}")
    if "data" not in body:
        if errors:
            return "fatal", str(errors[0].get("title") or errors[0].get("type") or "error")
        # An empty list says so: meta.result_count 0. Anything else is not an answer.
        if (body.get("meta") or {}).get("result_count") != 0:
            return "fatal", "no data"
    return None


class XConnector:
    platform = "x"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._auth = {"Authorization": f"Bearer {http.settings.token}"}

    def _error(self, path: str, status: int, body: object, kind: str, what: str) -> PlatformError:
        detail = ""
        if isinstance(body, dict):
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            detail = str(body.get("detail") or first.get("detail") or first.get("message") or "")
        text = f"{path} answered HTTP {status} {what}" + (f": {detail}" if detail else "")
        if kind == "quota":
            period = body.get("period", "Monthly") if isinstance(body, dict) else "Monthly"
            text += (f". The X API's {str(period).lower()} usage cap of the app's plan is spent: no retry helps "
                     "until the cap resets with the plan's next billing period (or the plan is raised); a later "
                     "run or a backfill picks the slice up")
        elif kind == "auth":
            text += (". X does not say whether a bearer token is wrong, revoked or expired: set a valid app "
                     "bearer token in KOL_X_ACCESS_TOKEN")
        elif kind == "throttle":
            text += (". X still refuses after the retries: its 15-minute rate-limit window (x-rate-limit-reset) is "
                     "not over yet; a later run picks the slice up")
        return PlatformError(self.platform, kind, self.http.redact(text))

    def _classify(self, path: str, status: int, body: object, headers: Mapping[str, str]) -> None:
        # The shared session retries what this calls a throttle or transient (rate-limit errors in
        # a 200 too); the monthly cap, an auth error or a fatal one fails now.
        verdict = classify(status, body)
        if verdict is None:
            errors = body.get("errors")
            if errors:  # per-item problems beside the data: the other items are good
                log.warning("x: %s answered data with %d per-item error(s), first: %s", path, len(errors),
                            self.http.redact(str(errors[0])[:300]))
            return
        error = self._error(path, status, body, *verdict)
        if verdict[0] == "throttle":
            error.retry_after = rate_limit_wait(headers)
        raise error

    def _get(self, path: str, **params: object) -> dict:
        path = f"/2{path}"
        _, body = self.http.get(path, params=params, headers=self._auth, classify=partial(self._classify, path))
        return body

    def _pages(self, path: str, cursor_param: str, **params: object) -> Iterator[dict]:
        """Newest first; ``meta.next_token`` goes back as ``cursor_param`` and is absent on the last
        page. Yields each page's body (replies need its ``includes``)."""
        token, seen = None, set()
        for _ in range(MAX_PAGES):
            body = self._get(path, **params, **({cursor_param: token} if token else {}))
            if not isinstance(body.get("data", []), list):
                raise PlatformError(self.platform, "fatal", f"/2{path} answered data that is not a list")
            yield body
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return
            if next_token in seen:
                raise PlatformError(self.platform, "fatal", f"/2{path} paging did not advance "
                                                            f"({cursor_param} {next_token} again)")
            seen.add(next_token)
            token = next_token
        raise PlatformError(self.platform, "fatal", f"/2{path} returned more than {MAX_PAGES} pages")

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        window_start, lookback = tracking_window_start(day), lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        export = {EXPORT_DATE_PARAM: day.isoformat()}
        for uid in account_ids:
            if not _SNOWFLAKE.match(uid):  # it goes into the path
                raise PlatformError(self.platform, "fatal", f"{uid!r} is not an X user id (digits): check the roster")
            # X has /2/users?ids= for 100 users a call, which the demo does not serve: one call per account.
            user = self._get(f"/users/{uid}", **{"user.fields": USER_FIELDS}, **export)["data"]
            raw.records["profiles"].append(RawRecord(user, ctx))

            searched: set[str] = set()
            # The timeline stays newest first; start_time lets X cut it at the window.
            for body in self._pages(f"/users/{uid}/tweets", "pagination_token", max_results=TIMELINE_PAGE,
                                    exclude="replies,retweets", start_time=_rfc3339(window_start),
                                    **{"tweet.fields": TWEET_FIELDS}, **export):
                page = body.get("data") or []
                times = [time_or_none(parse_iso_time, t, "created_at") for t in page]
                unread: list = []
                for post, t in zip(page, times):
                    if t is not None and not window_start <= t < end:
                        continue
                    # Every item is passed on, repeats included: landing counts and drops duplicates.
                    raw.records["post_metrics"].append(RawRecord(post, ctx | {"author_id": uid}))
                    if t is None or t >= lookback:
                        raw.records["posts"].append(RawRecord(post, {"author_id": uid}))
                    post_id = post.get("id") if isinstance(post.get("id"), str) else ""
                    if t is not None and _SNOWFLAKE.match(post_id) and post_id not in searched and _has_replies(post):
                        searched.add(post_id)
                        unread.append(post_id)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(
                        lambda post_id: self._replies(post_id, uid, lookback, end, export), unread):
                    raw.records["comments"] += comments
                known = [t for t in times if t is not None]
                if not page or (known and min(known) < window_start):
                    break

            fetched = 0
            for body in self._pages(f"/users/{uid}/followers", "pagination_token", max_results=FOLLOWERS_PAGE,
                                    **{"user.fields": USER_FIELDS}, **export):
                page = body.get("data") or []
                raw.records["audience"] += [RawRecord(u, ctx | {"followed_user_id": uid}) for u in page]
                fetched += len(page)
                if fetched >= AUDIENCE_MAX:
                    break
        return raw

    def _replies(self, post_id: str, owner_id: str, start: datetime, end: datetime, export: dict) -> list[RawRecord]:
        """The conversation's replies written inside [start, end). Search answers newest first and
        the account's answers are replies of their own, so the walk stops at the first page that
        reaches back before ``start``."""
        out = []
        ctx = {"conversation_id": post_id, "conversation_author_id": owner_id}
        # is:reply leaves the post itself out: it belongs to its own conversation.
        for body in self._pages("/tweets/search/recent", "next_token", query=f"conversation_id:{post_id} is:reply",
                                max_results=SEARCH_PAGE, expansions="author_id", **{"tweet.fields": REPLY_FIELDS,
                                "user.fields": "username"}, **export):
            page = body.get("data") or []
            users = {u.get("id"): u.get("username") for u in (body.get("includes") or {}).get("users") or []
                     if isinstance(u, dict)}
            times = [time_or_none(parse_iso_time, r, "created_at") for r in page]
            for reply, t in zip(page, times):
                if reply.get("id") == post_id:
                    continue
                if t is None or start <= t < end:
                    out.append(RawRecord(reply, ctx | {"author_username": users.get(reply.get("author_id"))}))
            known = [t for t in times if t is not None]
            if not page or (known and min(known) < start):
                break
        return out


def _now() -> float:
    return time.time()


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until X lets the app in again: Retry-After when sent (the session reads it itself,
    so None), else the end of the 15-minute window (x-rate-limit-reset, epoch seconds) once
    x-rate-limit-remaining is 0; None (backoff) when the headers say nothing."""
    if retry_after_seconds(headers) is not None:
        return None
    reset, remaining = headers.get("x-rate-limit-reset"), headers.get("x-rate-limit-remaining")
    if remaining != "0" or not (reset or "").strip().isdigit():
        return None
    return max(1.0, int(reset) - _now())


def _has_replies(post: dict) -> bool:
    # A post nobody replied to (as of the day's end) has no conversation to search: skip the call.
    # An absent or unreadable reply_count says nothing, so search.
    try:
        return parse_count((post.get("public_metrics") or {}).get("reply_count"), "reply_count") != 0
    except (ValueError, AttributeError):
        return True


def _rfc3339(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


CONNECTOR = XConnector
