"""Demo X API v2 (``/2/...``): snowflake ids as strings, ``2024-01-01T12:00:00.000Z``
times, fields only when asked for (``tweet.fields``, ``user.fields``,
``expansions`` → ``includes.users``), ``meta{result_count, newest_id, oldest_id,
next_token}`` with no ``next_token`` on the last page and no ``data`` on an empty
one, ``pagination_token`` for timelines and follower lists and ``next_token`` for
search, bearer tokens, ``x-rate-limit-*`` headers on every answer, and X's error
bodies: RFC 7807 problems (``{"title", "detail", "type", "status"}``), the
``Invalid Request`` problem with its ``errors[{parameters, message}]``, and
resource-not-found errors inside an HTTP **200** (``{"errors": [...]}``, beside
partial ``data`` in multi-id lookups).

Served (``docs/demo-api/x.md`` has the details): ``/2/users/:id``,
``/2/users/by/username/:username``, ``/2/users/:id/tweets``,
``/2/users/:id/followers``, ``/2/tweets`` and ``/2/tweets/:id``, and
``/2/tweets/search/recent`` for ``conversation_id:<id>`` (replies), which like the
real one only reaches seven days back.

From X's reference: paths, parameters and their ranges, field names, error
problem types and messages. Following ``shared/platforms.md``, an HTTP 429 carries
``{"errors": [{"code": 88, "message": "Rate limit exceeded"}]}`` (v1.1 style; v2
also sends a ``Too Many Requests`` problem). Demo additions or simplifications:
the ``export_date`` parameter (the demo's "now" is the end of that day); the
timeline holds original posts only, as with ``exclude=replies,retweets``;
``/followers`` lists the day's audience sample, not every follower; ``quote_count``
is derived from reposts and a follower's ``like_count`` from its posts (the world
has neither); rate-limit counters count down per 15-minute window but never reach
0 and are never enforced (a real 429 is the fault injector's ``http_429``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, dig, end_of, export_day, iso_time_param,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World, day_ordinal

X_EPOCH_MS = 1_288_834_974_657  # Twitter's snowflake epoch
DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
SEARCH_REACH = timedelta(days=7)  # recent search sees the last seven days only
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"

TWEET_FIELDS = ("article", "attachments", "author_id", "card_uri", "community_id", "context_annotations",
                "conversation_id", "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids",
                "entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics",
                "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics",
                "referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld")
USER_FIELDS = ("affiliation", "connection_status", "created_at", "description", "entities", "id",
               "is_identity_verified", "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id",
               "profile_banner_url", "profile_image_url", "protected", "public_metrics", "receives_your_dm",
               "subscription", "subscription_type", "url", "username", "verified", "verified_followers_count",
               "verified_type", "withheld")
EXPANSIONS = ("article.cover_media", "article.media_entities", "attachments.media_keys",
              "attachments.media_source_tweet", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
              "entities.mentions.username", "geo.place_id", "in_reply_to_user_id", "entities.note.mentions.username",
              "referenced_tweets.id", "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id")
_HASHTAG = re.compile(r"#(\w*[^\W\d_]\w*)")  # "#1" is not a hashtag on X: a tag needs a letter
_ID = re.compile(r"^[0-9]{1,19}$")


class XError(Exception):
    """An error X answers with: the HTTP status and the envelope's arguments."""

    def __init__(self, status: int, code: int, message: str, **extra: object):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def invalid_request(parameter: str, value: str, message: str) -> XError:
    return XError(400, 400, "One or more parameters to your request was invalid.", title="Invalid Request",
                  type=INVALID_REQUEST, errors=[{"parameters": {parameter: [value]}, "message": message}])


def not_found(kind: str, parameter: str, value: str) -> dict:
    """One resource-not-found error, as X lists them in a 200 body."""
    return {"value": value, "detail": f"Could not find {kind} with {parameter}: [{value}].", "title": "Not Found Error",
            "resource_type": kind, "parameter": parameter, "resource_id": value, "type": NOT_FOUND}


# --------------------------------------------------------------------------- formats

def x_time(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def snowflake_day(tweet_id: int) -> date:
    ms = (tweet_id >> 22) + X_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, timezone.utc).date()


def display_count(n: int) -> str:
    """How X's pages show a count (12345 -> "12.3K"): a drifting API's string."""
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + unit
    return str(n)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _check(salt: str, body: str) -> str:
    digest = hashlib.blake2b(f"{salt}:{body}".encode(), digest_size=6).digest()
    return _base36(int.from_bytes(digest, "big"))[:8].rjust(8, "0")


def page_token(value: int, salt: str) -> str:
    """Opaque lowercase tokens like X's; each list has its own salt, so tokens do not cross lists."""
    body = _base36(value)
    return _check(salt, body) + body


def _untoken(req: Request, param: str, salt: str) -> int | None:
    token = req.params.get(param)
    if token is None:
        return None
    body = token[8:]
    if len(token) > 8 and body.isalnum() and body == body.lower() and _check(salt, body) == token[:8]:
        return int(body, 36)
    raise invalid_request(param, token, f"The `{param}` query parameter value [{token}] is not valid")


# --------------------------------------------------------------------------- request plumbing

def _choices(req: Request, name: str, valid: tuple[str, ...]) -> set[str]:
    raw = req.params.get(name)
    if raw is None:
        return set()
    chosen = [v.strip() for v in raw.split(",") if v.strip()]
    for v in chosen:
        if v not in valid:
            raise invalid_request(name, v, f"The `{name}` query parameter value [{v}] is not one of "
                                           f"[{','.join(valid)}]")
    return set(chosen)


def _int_range(req: Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(name, raw, f"The `{name}` query parameter value [{raw}] is not between {low} and {high}")
    return int(raw)


def _time_param(req: Request, name: str) -> datetime | None:
    try:
        return iso_time_param(req, name)
    except ValueError:
        raw = req.params.get(name)
        raise invalid_request(name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 date-time "
                                         "such as YYYY-MM-DDTHH:mm:ssZ") from None


def _id_param(req: Request, name: str) -> int | None:
    raw = req.params.get(name)
    if raw is None:
        return None
    if not _ID.match(raw):
        raise invalid_request(name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$")
    return int(raw)


class _RateLimits:
    """x-rate-limit-* per endpoint in 15-minute windows: counts down, never to 0, never enforced."""

    WINDOW_S = 900

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[str, tuple[int, int]] = {}  # endpoint -> (window, requests in it)

    def headers(self, endpoint: str, limit: int) -> dict[str, str]:
        window = int(time.time()) // self.WINDOW_S
        with self._lock:
            seen, used = self._used.get(endpoint, (window, 0))
            used = used + 1 if seen == window else 1
            self._used[endpoint] = (window, used)
        # Never 0: a client that sleeps until the reset on 0 would stall a demo that enforces nothing.
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(1, limit - used)),
                "x-rate-limit-reset": str((window + 1) * self.WINDOW_S)}


class _ExhaustedHeaders(Mapping):
    """The headers of a throttled answer; the reset is the end of the current window, read when sent."""

    def _now(self) -> dict[str, str]:
        window = int(time.time()) // _RateLimits.WINDOW_S
        return {"x-rate-limit-limit": "1500", "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str((window + 1) * _RateLimits.WINDOW_S)}

    def __getitem__(self, key: str) -> str:
        return self._now()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return 3


_LIMITS = _RateLimits()
# Per 15 minutes with an app's bearer token: of the order X publishes for its paid tiers (they vary by tier).
_ENDPOINT_LIMIT = {"users": 300, "tweets": 1500, "followers": 15, "lookup": 450, "search": 450}


# --------------------------------------------------------------------------- objects

def _select(full: dict, fields: set[str], default: tuple[str, ...]) -> dict:
    return {k: v for k, v in full.items() if k in default or k in fields}


def _kol_user(api: Platform, kol: Kol, day: date, fields: set[str]) -> dict:
    followers = api.world.followers_on(kol, day)
    verified = kol.start_followers > 100_000
    full = {
        "id": kol.account_id, "name": kol.handle.title(), "username": kol.handle,
        "created_at": x_time(kol.created_at), "description": f"{kol.niche} · threads most days · opinions my own",
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{kol.account_id}/avatar_normal.jpg",
        "protected": False, "verified": verified, "verified_type": "blue" if verified else "none",
        "public_metrics": {"followers_count": followers, "following_count": api.world.following_on(kol, day),
                           "tweet_count": api.world.posts_count_on(kol, day), "listed_count": followers // 400,
                           "like_count": 200 + 3 * max(0, day_ordinal(day))},
    }
    return _select(full, fields, ("id", "name", "username"))


def _follower_user(f: Follower, fields: set[str]) -> dict:
    full = {
        "id": f.account_id, "name": f.handle, "username": f.handle, "created_at": x_time(f.created_at),
        "description": f.bio, "profile_image_url": f.avatar_url or DEFAULT_AVATAR, "protected": False,
        "verified": False, "verified_type": "none",
        "public_metrics": {"followers_count": f.followers, "following_count": f.following, "tweet_count": f.posts,
                           "listed_count": 0, "like_count": 3 * f.posts},
    }
    return _select(full, fields, ("id", "name", "username"))


def _entities(text: str) -> dict | None:
    tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG.finditer(text)]
    return {"hashtags": tags} if tags else None


def _tweet(api: Platform, post: Post, as_of: datetime, fields: set[str]) -> dict:
    c = api.world.counters(post, as_of)
    full: dict = {
        "id": post.post_id, "text": post.text, "edit_history_tweet_ids": [post.post_id], "author_id": post.account_id,
        "created_at": x_time(post.created_at), "conversation_id": post.post_id, "lang": "en",
        "reply_settings": "everyone",
        "public_metrics": {"retweet_count": c.shares, "reply_count": c.comments, "like_count": c.likes,
                           "quote_count": c.shares // 8, "bookmark_count": c.saves, "impression_count": c.views},
    }
    if (entities := _entities(post.text)) is not None:
        full["entities"] = entities
    media = {"IMAGE": ["3"], "VIDEO": ["7"], "CAROUSEL": ["3", "3", "3"]}.get(post.media_type)
    if media:
        full["attachments"] = {"media_keys": [f"{kind}_{int(post.post_id) + 1 + k}" for k, kind in enumerate(media)]}
    return _select(full, fields, ("id", "text", "edit_history_tweet_ids"))


def reply_id(c: Comment) -> str:
    """A comment as a reply tweet: a snowflake of its time; bit 21 keeps it apart from the posts' ids."""
    ms = int(c.created_at.timestamp()) * 1000
    return str(((ms - X_EPOCH_MS) << 22) | 0x200000 | int(c.comment_id) % 1_000_000)


def _reply(c: Comment, post: Post, kol: Kol, parent: Comment | None, answers: int, fields: set[str]) -> dict:
    to_handle, to_id = (kol.handle, kol.account_id) if parent is None else (parent.author_handle, parent.author_id)
    text = f"@{to_handle} {c.text}"
    tweet_id = reply_id(c)
    full: dict = {
        "id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id], "author_id": c.author_id,
        "created_at": x_time(c.created_at), "conversation_id": post.post_id, "in_reply_to_user_id": to_id,
        "referenced_tweets": [{"type": "replied_to", "id": post.post_id if parent is None else reply_id(parent)}],
        "lang": "en", "reply_settings": "everyone", "display_text_range": [len(to_handle) + 2, len(text)],
        "public_metrics": {"retweet_count": 0, "reply_count": answers, "like_count": 0, "quote_count": 0,
                           "bookmark_count": 0, "impression_count": 0},
    }
    return _select(full, fields, ("id", "text", "edit_history_tweet_ids"))


def _meta(page: list[dict], next_token: str | None) -> dict:
    if not page:
        return {"result_count": 0}
    meta = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
    if next_token:
        meta["next_token"] = next_token
    return meta


def _list_body(page: list[dict], meta: dict, includes: dict | None = None) -> dict:
    body: dict = {"data": page} if page else {}  # X leaves data out of an empty page
    if includes:
        body["includes"] = includes
    body["meta"] = meta
    return body


# --------------------------------------------------------------------------- endpoints

def _kol_or_error(api: Platform, req: Request, raw_id: str) -> Kol | dict:
    if not _ID.match(raw_id):
        raise invalid_request("id", raw_id, f"The `id` query parameter value [{raw_id}] does not match ^[0-9]{{1,19}}$")
    kol = api.world.kol(raw_id)
    if kol is None or kol.platform != "x":
        return {"errors": [not_found("user", "id", raw_id)]}  # HTTP 200, as X answers it
    return kol


def _user_tweets(api: Platform, req: Request, day: date, kol: Kol) -> dict:
    fields = _choices(req, "tweet.fields", TWEET_FIELDS)
    expansions = _choices(req, "expansions", EXPANSIONS)
    user_fields = _choices(req, "user.fields", USER_FIELDS)
    limit = _int_range(req, "max_results", 10, 5, 100)
    as_of = end_of(day)
    start, end = _time_param(req, "start_time"), _time_param(req, "end_time")
    since = _id_param(req, "since_id")
    bounds = [b for b in (_id_param(req, "until_id"), _untoken(req, "pagination_token", "timeline:" + kol.account_id))
              if b is not None]
    until = min(bounds) if bounds else None  # exclusive
    first = min([day] + [t.date() for t in (end,) if t] + ([snowflake_day(until)] if until else []))
    last = max([WORLD_EPOCH] + ([start.date()] if start else []) + ([snowflake_day(since)] if since else []))
    # Newest first, one day at a time from the newest day the page can reach: the cost follows the page.
    posts: list[Post] = []
    d = first
    while d >= last and len(posts) <= limit:
        for p in sorted(api.world.posts_created_on(kol, d), key=lambda p: int(p.post_id), reverse=True):
            n = int(p.post_id)
            if ((until is not None and n >= until) or (since is not None and n <= since) or p.created_at > as_of
                    or (start and p.created_at < start) or (end and p.created_at > end)):
                continue
            posts.append(p)
        d -= timedelta(days=1)
    page = [_tweet(api, p, as_of, fields) for p in posts[:limit]]
    token = page_token(int(page[-1]["id"]), "timeline:" + kol.account_id) if len(posts) > limit else None
    includes = {"users": [_kol_user(api, kol, day, user_fields)]} if "author_id" in expansions and page else None
    return _list_body(page, _meta(page, token), includes)


def _followers(api: Platform, req: Request, day: date, kol: Kol) -> dict:
    fields = _choices(req, "user.fields", USER_FIELDS)
    limit = _int_range(req, "max_results", 100, 1, 1000)
    offset = _untoken(req, "pagination_token", "followers:" + kol.account_id) or 0
    sample = api.world.audience_sample(kol, day)
    page = [_follower_user(f, fields) for f in sample[offset: offset + limit]]
    meta: dict = {"result_count": len(page)}
    if offset + limit < len(sample):
        meta["next_token"] = page_token(offset + limit, "followers:" + kol.account_id)
    return _list_body(page, meta)


def _tweet_lookup(api: Platform, req: Request, day: date, ids: list[str]) -> dict:
    fields = _choices(req, "tweet.fields", TWEET_FIELDS)
    expansions = _choices(req, "expansions", EXPANSIONS)
    user_fields = _choices(req, "user.fields", USER_FIELDS)
    as_of = end_of(day)
    data, errors, authors = [], [], {}
    for raw in ids:
        if not _ID.match(raw):
            raise invalid_request("ids", raw, f"The `ids` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$")
        post = api.world.post(raw, "x")
        if post is None or post.created_at > as_of:
            errors.append(not_found("tweet", "ids" if "ids" in req.params else "id", raw))
            continue
        data.append(_tweet(api, post, as_of, fields))
        authors.setdefault(post.account_id, api.world.kol(post.account_id))
    body: dict = {}
    if data:
        body["data"] = data if "ids" in req.params else data[0]
    if "author_id" in expansions and authors:
        body["includes"] = {"users": [_kol_user(api, k, day, user_fields) for k in authors.values()]}
    if errors:
        body["errors"] = errors  # beside partial data, in an HTTP 200
    return body


_QUERY_TERM = re.compile(r"^(conversation_id:(\d{1,19})|is:reply|-is:retweet)$")


def _search_recent(api: Platform, req: Request, day: date) -> dict:
    query = req.params.get("query")
    if not query:
        raise invalid_request("query", "", "The `query` query parameter can not be empty")
    conversation = None
    for term in query.split():
        m = _QUERY_TERM.match(term)
        if m is None:
            raise invalid_request("query", query, f"There were errors processing your request: the demo serves "
                                                   f"conversation_id:<id> queries (unsupported: {term!r})")
        conversation = m.group(2) or conversation
    if conversation is None:
        raise invalid_request("query", query, "There were errors processing your request: the demo serves "
                                              "conversation_id:<id> queries")
    fields = _choices(req, "tweet.fields", TWEET_FIELDS)
    expansions = _choices(req, "expansions", EXPANSIONS)
    user_fields = _choices(req, "user.fields", USER_FIELDS)
    limit = _int_range(req, "max_results", 10, 10, 100)
    now = end_of(day)
    reach = now - SEARCH_REACH
    start, end = _time_param(req, "start_time"), _time_param(req, "end_time")
    if start is not None and start < reach:
        raise invalid_request("start_time", req.params["start_time"],
                              f"Invalid 'start_time':'{req.params['start_time']}'. 'start_time' must be on or after "
                              f"{reach + timedelta(microseconds=1):%Y-%m-%dT%H:%MZ}")
    until = _untoken(req, "next_token", "search:" + conversation)
    post = api.world.post(conversation, "x")
    replies: list[tuple[int, Comment]] = []
    by_id: dict[str, Comment] = {}
    answers: dict[str, int] = {}
    if post is not None and post.created_at <= now:
        comments = api.world.comments_on(post, now)
        by_id = {c.comment_id: c for c in comments}
        for c in comments:
            if c.reply_to_id is not None:
                answers[c.reply_to_id] = answers.get(c.reply_to_id, 0) + 1
            if c.created_at <= reach or (start and c.created_at < start) or (end and c.created_at > end):
                continue
            n = int(reply_id(c))
            if until is None or n < until:
                replies.append((n, c))
    replies.sort(key=lambda pair: pair[0], reverse=True)  # search answers newest first
    kol = api.world.kol(post.account_id) if post is not None else None
    page = [_reply(c, post, kol, by_id.get(c.reply_to_id) if c.reply_to_id else None, answers.get(c.comment_id, 0),
                   fields) for _, c in replies[:limit]]
    token = page_token(int(page[-1]["id"]), "search:" + conversation) if len(replies) > limit else None
    includes = None
    if page and "author_id" in expansions:
        users: dict[str, dict] = {}
        for _, c in replies[:limit]:
            if c.author_id not in users:
                users[c.author_id] = (_kol_user(api, kol, day, user_fields) if c.author is None
                                      else _follower_user(c.author, user_fields))
        includes = {"users": list(users.values())}
    return _list_body(page, _meta(page, token), includes)


def _endpoint(path: str) -> str | None:
    """Which rate-limit bucket a path counts against, or None for no endpoint of the demo."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["2", "users"]:
        rest = parts[2:]
        if len(rest) == 1 or (len(rest) == 3 and rest[:2] == ["by", "username"]):
            return "users"
        return rest[1] if len(rest) == 2 and rest[1] in ("tweets", "followers") else None
    if parts == ["2", "tweets", "search", "recent"]:
        return "search"
    return "lookup" if parts[:2] == ["2", "tweets"] and len(parts) <= 3 else None


def _route(api: Platform, req: Request, day: date) -> tuple[str, dict]:
    parts = req.path.strip("/").split("/")
    if parts[:1] != ["2"]:
        raise XError(404, 34, "Sorry, that page does not exist")
    rest = parts[1:]
    if rest[:1] == ["users"] and len(rest) == 4 and rest[1:3] == ["by", "username"]:
        kol = next((k for k in api.world.kols("x") if k.handle.lower() == rest[3].lower()), None)
        if kol is None:
            return "users", {"errors": [not_found("user", "username", rest[3])]}
        return "users", {"data": _kol_user(api, kol, day, _choices(req, "user.fields", USER_FIELDS))}
    if rest[:1] == ["users"] and len(rest) in (2, 3):
        kol = _kol_or_error(api, req, rest[1])
        edge = rest[2] if len(rest) == 3 else None
        if edge not in (None, "tweets", "followers"):
            raise XError(404, 34, "Sorry, that page does not exist")
        endpoint = {None: "users", "tweets": "tweets", "followers": "followers"}[edge]
        if isinstance(kol, dict):
            return endpoint, kol
        if edge is None:
            return endpoint, {"data": _kol_user(api, kol, day, _choices(req, "user.fields", USER_FIELDS))}
        return endpoint, (_user_tweets if edge == "tweets" else _followers)(api, req, day, kol)
    if rest == ["tweets", "search", "recent"]:
        return "search", _search_recent(api, req, day)
    if rest == ["tweets"]:
        raw = req.params.get("ids", "")
        ids = [i for i in raw.split(",") if i]
        if not 1 <= len(ids) <= 100:
            raise invalid_request("ids", raw, f"The number of values in the `ids` query parameter list "
                                              f"[{len(ids)}] is not between 1 and 100")
        return "lookup", _tweet_lookup(api, req, day, ids)
    if rest[:1] == ["tweets"] and len(rest) == 2:
        return "lookup", _tweet_lookup(api, req, day, [rest[1]])
    raise XError(404, 34, "Sorry, that page does not exist")


def handle(api: Platform, req: Request) -> Response:
    try:
        auth = req.headers.get("authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else None
        if token != api.token:
            raise XError(401, 401, "Unauthorized", title="Unauthorized", type="about:blank")
        try:
            day = export_day(req.params)
        except BadRequest as e:
            raise invalid_request("export_date", req.params.get("export_date", ""), e.message) from None
        endpoint, body = _route(api, req, day)
        return Response(200, body, _LIMITS.headers(endpoint, _ENDPOINT_LIMIT[endpoint]))
    except XError as e:
        # Every authenticated answer of a real endpoint counts against its limit, errors included.
        endpoint = _endpoint(req.path) if e.status != 401 else None
        headers = _LIMITS.headers(endpoint, _ENDPOINT_LIMIT[endpoint]) if endpoint else {}
        return Response(e.status, error_envelope(req, e.code, e.message, **e.extra), headers)


def error_envelope(req: Request, code: int, message: str, title: str | None = None, type: str | None = None,
                   errors: list | None = None, **extra: object) -> dict:
    """X's error bodies. With a ``title``/``type``: an RFC 7807 problem (``code`` becomes ``status`` for
    ``about:blank`` problems, as X writes them; ``errors`` lists an invalid request's parameters).
    Without: the ``{"errors": [{"code", "message"}]}`` of numbered errors (88 = rate limit). The fault
    injector (``faults.py``) renders its faults with it too."""
    if title is None and type is None:
        return {"errors": [{"code": code, "message": message}]}
    problem: dict = {"errors": errors} if errors else {}
    problem |= {"title": title, "detail": message, "type": type or "about:blank"}
    if problem["type"] == "about:blank":
        problem["status"] = code
    return problem | extra


# --------------------------------------------------------------------------- faults

def _item_time(item: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(item["created_at"]).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None


def _next_cursor(body: dict) -> str | None:
    token = dig(body, "meta.next_token")
    return token if isinstance(token, str) and token else None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    # X v2 never throttles in a 200. Its 200 bodies do carry "errors" (not-found, partial failures),
    # so the demo's throttle_in_200 is the numbered rate-limit error in a 200: the body, not the
    # status, must decide. 130 is X's "Over capacity".
    throttle_codes={88: "Rate limit exceeded", 130: "Over capacity"},
    default_throttle=88,
    http_429=(88, "Rate limit exceeded", {}),
    transient=(500, "Internal Server Error", {"title": "Internal Server Error", "type": "about:blank"}),
    # X does not tell an expired token from a wrong one.
    expired=(401, "Unauthorized", {"title": "Unauthorized", "type": "about:blank"}),
    expired_status=401,
    quota=(429, 429, "Usage cap exceeded: Monthly product cap",
           {"title": "UsageCapExceeded", "type": "https://api.twitter.com/2/problems/usage-capped",
            "period": "Monthly", "scope": "Product"}),
    throttle_headers=_ExhaustedHeaders(),
    list_keys=("data",),
    cursor_params=("pagination_token", "next_token"),
    new_field=("possibly_sensitive", False),
    count_fields=("public_metrics.like_count", "public_metrics.retweet_count", "public_metrics.impression_count",
                  "public_metrics.followers_count"),
    display_count=display_count,
    # impression_count is really absent on posts older than December 2022. The injector drops top-level
    # keys only, so today the others are what it drops.
    optional_fields=("public_metrics.impression_count", "entities", "conversation_id", "edit_history_tweet_ids",
                     "description", "profile_image_url"),
    item_time=_item_time,
    next_cursor=_next_cursor,
)


# --------------------------------------------------------------------------- analytics export

EXPORT_COLUMNS = ("Tweet id", "Account id", "Account username", "Tweet permalink", "Tweet text", "time",
                  "impressions", "engagements", "engagement rate", "retweets", "replies", "likes")


def export_files(world: World, day: date) -> dict[str, bytes]:
    """X analytics' "tweet activity" CSV (the legacy analytics.twitter.com export), every account of the
    world in one file: one row per post of the last TRACKING_DAYS days, counters as of the end of ``day``."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for kol in world.kols("x"):
        for post in reversed(world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day)):
            c = world.counters(post, as_of)
            engagements = c.likes + c.shares + c.comments
            writer.writerow([post.post_id, kol.account_id, kol.handle,
                             f"https://twitter.com/{kol.handle}/status/{post.post_id}", post.text,
                             post.created_at.strftime("%Y-%m-%d %H:%M +0000"), c.views, engagements,
                             repr(engagements / c.views) if c.views else "0.0", c.shares, c.comments, c.likes])
    return {f"x_tweet_activity_{day.isoformat()}.csv": out.getvalue().encode("utf-8")}
