"""WeChat Official Account connector: the ``datacube`` statistics (POST, one date window per
call, no cursor), ``cgi-bin/comment/list`` (offsets), ``cgi-bin/user/get`` (``next_openid``)
and ``cgi-bin/user/info/batchget`` (100 openids per call).

WeChat answers every error in an HTTP 200 body, ``{"errcode": N, "errmsg": "..."}``, so
each answer is classified by its ``errcode`` (never by ``errmsg``, which ends in a request
id). WeChat takes the ``access_token`` only as a query parameter: it is kept out of every
message this module writes, and ``ingestion.http`` filters it out of urllib3's debug log lines.

Demo addition: ``account_id=<original id>`` names the account the call acts for. A real
token belongs to one official account and WeChat ignores the parameter; a real deployment
runs one token per account.
"""
from __future__ import annotations

from datetime import date, timedelta

from ingestion.http import PlatformError, PlatformHttp, quota_resets
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, LOOKBACK_DAYS, MAX_PAGES, TRACKING_DAYS, RawDay, RawRecord, day_bounds,
    lookback_window_start, time_or_none,
)
from ingestion.platforms.wechat.normalize import split_msgid
from ingestion.quirks import parse_epoch_seconds

ACCOUNT_PARAM = "account_id"  # demo addition, see the module docstring
COMMENT_PAGE = 50  # comment/list's largest `count`
BATCHGET_MAX = 100  # user/info/batchget's largest user_list
# Real user/get lists every follower (10,000 a page, oldest first); the demo lists the day's
# audience sample. Profiles of more than this many followers a day would cost the account's
# history, not the day: the audience is a sample.
AUDIENCE_MAX = 1_000
QUOTA_TZ = "Asia/Shanghai"  # WeChat's daily quotas reset at midnight Beijing time

# invalid credential, invalid access_token, access_token missing, access_token expired, and the
# token's account lacking the permission for this API (48001 api unauthorized).
_AUTH = {40001, 40014, 41001, 42001, 48001}
_THROTTLE = {45011}  # the per-minute quota: "api minute-quota reach limit  mustslower  retry next minute"
_TRANSIENT = {-1}  # "system error": WeChat's own word for "busy, try again"
_QUOTA = {45009}  # "reach max api daily quota limit"
# comment/list on an article whose comments are closed (88000) or that was deleted after its
# push (88001): the article simply has no comments to read.
_NO_COMMENTS = {88000, 88001}


class WeChatConnector:
    platform = "wechat"

    def __init__(self, http: PlatformHttp):
        self.http = http

    # ------------------------------------------------------------------ one call, classified

    def _call(self, method: str, path: str, account: str, day: date, body: dict | None = None,
              **params: object) -> dict:
        """One WeChat call; ``PlatformHttp`` retries what ``_classify`` calls a throttle or a
        transient fault, errors in HTTP 200 bodies included."""
        query = {"access_token": self.http.settings.token, ACCOUNT_PARAM: account,
                 EXPORT_DATE_PARAM: day.isoformat(), **params}
        try:
            _, answer = self.http.request(method, path, params=query, json=body, classify=self._classify)
        except PlatformError as exc:
            detail = str(exc).split(": ", 1)[-1]
            raise WeChatError(self.platform, exc.kind, f"{path} failed: {detail}", getattr(exc, "errcode", None),
                              retry_after=exc.retry_after) from None
        return answer

    def _classify(self, status: int, body: object, headers) -> None:
        if isinstance(body, dict) and body.get("errcode") not in (None, 0, "0"):
            try:
                code = int(body["errcode"])
            except (TypeError, ValueError):
                code = None
            kind = ("auth" if code in _AUTH else "throttle" if code in _THROTTLE else
                    "transient" if code in _TRANSIENT else "quota" if code in _QUOTA else "fatal")
            # errmsg is WeChat's wording plus a request id; it never echoes the token.
            message = f"errcode {body['errcode']}: {body.get('errmsg')}."
            if kind == "auth":
                message += (" Get a new access_token (WeChat's expire after 2 hours; cgi-bin/token or "
                            "stable_token issues them) and set KOL_WECHAT_ACCESS_TOKEN.")
            elif kind == "quota":
                message += f" The account's daily call quota for this API is used up: {quota_resets(QUOTA_TZ)}."
            raise WeChatError(self.platform, kind, message, code)
        if status != 200 or not isinstance(body, dict):
            kind = "throttle" if status == 429 else "transient" if status >= 500 else "fatal"
            raise WeChatError(self.platform, kind, f"HTTP {status} without a WeChat body", None)

    def _datacube(self, endpoint: str, account: str, day: date, first: date, last: date) -> list:
        body = self._call("POST", f"/datacube/{endpoint}", account, day,
                          {"begin_date": first.isoformat(), "end_date": last.isoformat()})
        rows = body.get("list")
        if rows is None:
            return []
        if not isinstance(rows, list):
            raise PlatformError(self.platform, "fatal", f"datacube/{endpoint} answered a `list` that is not a list")
        return rows

    # ------------------------------------------------------------------ the day

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        lookback_start = lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        for account in account_ids:
            owner = {"original_id": account}
            profile = self._call("GET", "/cgi-bin/account/getaccountbasicinfo", account, day)
            # The day's follower numbers come from datacube windows of that one day.
            profile["getusercumulate"] = self._datacube("getusercumulate", account, day, day, day)
            profile["getusersummary"] = self._datacube("getusersummary", account, day, day, day)
            raw.records["profiles"].append(RawRecord(profile, ctx | owner))

            # getarticletotal lists the articles pushed on one day, each with its cumulative
            # counters per day since: one call per push day of the tracking window.
            comments_read: set[str] = set()
            for back in range(TRACKING_DAYS):
                pushed = day - timedelta(days=back)
                unread: list = []
                for article in self._datacube("getarticletotal", account, day, pushed, pushed):
                    if not isinstance(article, dict):
                        continue
                    # Repeats are passed on: landing counts them and drops them on the natural key.
                    raw.records["post_metrics"].append(RawRecord(article, ctx | owner))
                    if back < LOOKBACK_DAYS:
                        raw.records["posts"].append(RawRecord(article, owner))
                    msgid = article.get("msgid")
                    if isinstance(msgid, str) and msgid not in comments_read:
                        comments_read.add(msgid)
                        unread.append(msgid)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(
                        lambda msgid: self._comments_on(msgid, account, day, lookback_start, end), unread):
                    raw.records["comments"] += comments

            raw.records["audience"] += [RawRecord(u, ctx | owner) for u in self._audience(account, day)]
        return raw

    def _comments_on(self, msgid: str, account: str, day: date, start, end) -> list[RawRecord]:
        """Comments and the account's replies written in [start, end) on one article.

        comment/list is oldest first with offsets. A reply written today can answer a comment of
        any age, and articles are only read for the 7 days after their push, so every page of
        the article is read."""
        try:
            msg_data_id, n = split_msgid(msgid)
        except ValueError:
            return []  # the article itself is quarantined by its normaliser, with the reason
        ctx = {"msgid": msgid, "original_id": account}
        out: list[RawRecord] = []
        begin = 0
        for _ in range(MAX_PAGES):
            try:
                page = self._call("POST", "/cgi-bin/comment/list", account, day,
                                  {"msg_data_id": int(msg_data_id), "index": n - 1, "begin": begin,
                                   "count": COMMENT_PAGE, "type": 0})
            except WeChatError as exc:
                if exc.errcode in _NO_COMMENTS:
                    return out
                raise
            items = page.get("comment") or []
            for item in items:
                if not isinstance(item, dict):
                    continue
                t = time_or_none(parse_epoch_seconds, item, "create_time")
                if t is None or start <= t < end:
                    out.append(RawRecord(item, ctx | {"is_reply": False}))
                reply = item.get("reply")
                if isinstance(reply, dict):
                    rt = time_or_none(parse_epoch_seconds, reply, "create_time")
                    if rt is None or start <= rt < end:
                        out.append(RawRecord(item, ctx | {"is_reply": True}))
            total = _int_or_none(page.get("total"))
            # Offsets advance by the page size asked for, not by what came back: a page can
            # repeat an item or hold one back (published late), and neither moves the comments
            # behind it. `total` says where the list ends; without it, a short page does.
            begin += COMMENT_PAGE
            if (begin >= total) if total is not None else len(items) < COMMENT_PAGE:
                return out
        raise PlatformError(self.platform, "fatal", f"cgi-bin/comment/list of {msgid} returned more than "
                                                    f"{MAX_PAGES} pages")

    def _audience(self, account: str, day: date) -> list[dict]:
        openids: list[str] = []
        next_openid = ""
        for _ in range(MAX_PAGES):
            page = self._call("GET", "/cgi-bin/user/get", account, day,
                              **({"next_openid": next_openid} if next_openid else {}))
            data = page.get("data") if isinstance(page.get("data"), dict) else {}
            batch = [o for o in data.get("openid") or [] if isinstance(o, str) and o]
            # Repeats are kept: batchget answers them again and landing counts them.
            openids += batch
            following = page.get("next_openid") or ""
            # The last page still names its last openid; the call after it comes back empty.
            if not batch or not following or len(openids) >= AUDIENCE_MAX:
                break
            if following == next_openid:
                # (The openid itself stays out of the message: it names a follower.)
                raise PlatformError(self.platform, "fatal", "cgi-bin/user/get paging did not advance")
            next_openid = following
        else:
            raise PlatformError(self.platform, "fatal", f"cgi-bin/user/get returned more than {MAX_PAGES} pages")
        openids = openids[:AUDIENCE_MAX]
        users: list[dict] = []
        for i in range(0, len(openids), BATCHGET_MAX):
            chunk = openids[i : i + BATCHGET_MAX]
            body = self._call("POST", "/cgi-bin/user/info/batchget", account, day,
                              {"user_list": [{"openid": o, "lang": "zh_CN"} for o in chunk]})
            users += [u for u in body.get("user_info_list") or [] if isinstance(u, dict)]
        return users


class WeChatError(PlatformError):
    """A WeChat error; ``errcode`` is WeChat's code when the answer had one."""

    def __init__(self, platform: str, kind: str, message: str, errcode: int | None,
                 retry_after: float | None = None):
        super().__init__(platform, kind, message, retry_after=retry_after)
        self.errcode = errcode


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


CONNECTOR = WeChatConnector
