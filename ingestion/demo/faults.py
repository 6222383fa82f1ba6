"""Faults on demand for the demo export API: a hostile platform, reproducible by seed.

The demo platforms answer every request correctly; real ones do not. This layer
sits between the HTTP server and a platform's handler and, per platform and with
a probability per mode, turns an answer into one of the failures the real
platforms produce (see ``shared/platforms.md``), in that platform's own words.

Modes
-----
``http_429``
    HTTP 429 with ``Retry-After: <retry_after>`` (any whole number of seconds,
    ``0`` and hours included) and the platform's throttle body: Weibo
    ``{"request", "error_code": "10023", "error": "User requests out of rate limit"}``,
    Instagram ``{"error": {"message": "(#4) Application request limit reached",
    "type": "OAuthException", "code": 4, "is_transient": true, "fbtrace_id"}}`` plus
    an ``X-App-Usage`` header at 100 %.
``throttle_in_200``
    The platform's throttle error inside an HTTP 200 body. The code is
    ``throttle_code``: Weibo 10022 (per IP), 10023 (per user, the default) or
    10024 (per user and API); Instagram 17 (user limit, the default) or 4 (app limit).
``server_error``
    A burst of ``burst`` consecutive failing requests on that platform (the one
    that triggers it and the next ``burst - 1``), each HTTP 500, 502 or 503 (chosen
    by seed). 500 carries the platform's transient error (Weibo 10001 "System
    error", Instagram code 2 with ``is_transient``); 502 and 503 carry the HTML page
    of the gateway in front of the API, as real outages do.
``slow``
    Waits ``delay`` seconds before answering (then answers, possibly with another
    fault), so that client time-outs fire.
``timeout``
    Waits ``delay`` seconds, then closes the connection without answering: with a
    ``delay`` longer than the client's read time-out, the client times out.
``quota_exceeded``
    The platform's daily-quota error, which no retry within the day cures: YouTube
    HTTP 403 ``quotaExceeded`` (domain ``youtube.quota``), WeChat ``errcode`` 45009,
    X HTTP 429 ``UsageCapExceeded``, TikTok ``daily_quota_limit_exceeded``, ... (each
    platform's ``FAULT_DIALECT.quota``; a platform without a daily quota rejects the mode).
``late_rows``
    Each list item created on the export day is, with this probability (drawn per
    item, not per request, so every page and retry agrees), left out of that day's
    export and shown from the next day's on: the row arrives after its day was pulled.
    Page-numbered lists (Bilibili) are filtered by the platform before it cuts them
    into pages (``Request.item_filter``), so that no page comes out short.
``truncated``
    An HTTP 200 whose JSON body is cut in the middle (at a character boundary, so
    the body is valid UTF-8); ``Content-Length`` is that of the cut body, so the
    client sees a JSON error, not a socket error.
``expired_token``
    HTTP 400 with the platform's expired-token error: Weibo 21327
    ``expired_token``; Instagram ``OAuthException`` code 190, ``error_subcode`` 463,
    with a ``WWW-Authenticate`` header.
``duplicate_items``
    A list page repeats an item: the last item of the previous page (the page whose
    next cursor this request carries: Weibo ``max_id``'s inclusive overlap and a
    follower list's ``cursor``, Instagram ``after``) comes first again; on a first
    page, or one whose predecessor this server did not serve, the page's first
    item appears twice. Paging cursors are left alone, so no item goes missing.
``schema_drift``
    Every item of the answer (or the single object, e.g. a profile) drifts, in the
    ways listed in ``drift`` (default all three, joined by ``+``):
    ``new_field`` (Weibo ``region_name``, Instagram ``is_shared_to_feed``),
    ``string_count`` (Weibo ``attitudes_count`` / ``followers_count`` as display
    strings such as ``"1.2万"``, Instagram ``like_count`` / ``followers_count`` as
    ``"12345"``) and ``missing_field`` (the first present of Weibo ``pic_urls``,
    ``source``, ``description``, ``profile_image_url``; Instagram ``caption``,
    ``permalink``, ``from``, ``biography``, ``profile_picture_url`` is dropped).

Each platform words its faults in its own envelope and codes: its module's
``FAULT_DIALECT`` (``ingestion/demo/<platform>_api.py``, listed per platform in
``docs/demo-api/<platform>.md``). The Weibo and Instagram wordings are given above.

Several modes can fire on one request. ``timeout`` answers nothing. Then
``server_error`` wins over ``expired_token``, then ``quota_exceeded``, then
``http_429``, then ``throttle_in_200``; those answer without asking the platform.
Otherwise the platform answers, and on an HTTP 200 ``late_rows``,
``duplicate_items``, ``schema_drift`` and ``truncated`` apply in that order.
``slow`` delays any of these. Only faults that
were actually applied are counted (``FaultInjector.injected``, exposed as
``DemoExportServer.faults_injected``).

Reproducibility
---------------
Each platform numbers its requests 0, 1, 2, ... Whether mode M fires on request n
of platform P is ``blake2b(seed, P, n, M) < probability``: no global random state,
and one mode's probability does not move another mode's draws. The same config,
seed and sequence of requests give the same faults (concurrent clients make the
sequence itself depend on arrival order).

Syntax (``--faults`` on the server CLI, ``KOL_DEMO_FAULTS`` in the environment)
------------------------------------------------------------------------------
::

    weibo:http_429=0.1,server_error=0.05,burst=3;instagram:expired_token=1

Sections separated by ``;``, one per platform (weibo, douyin, xiaohongshu, bilibili,
wechat, instagram, tiktok, youtube, x); inside a
section ``name=value`` pairs separated by ``,``. A mode takes a probability from 0
to 1 (a bare mode name means 1). Parameters: ``retry_after`` (whole seconds,
default 1), ``burst`` (requests, default 1), ``delay`` (seconds, default 2),
``throttle_code`` (see ``throttle_in_200``) and ``drift`` (e.g.
``new_field+string_count``). The seed comes from ``--fault-seed`` or
``KOL_DEMO_FAULT_SEED`` (default 0). Unknown platforms, modes or parameters are
errors that name the valid ones.
"""
from __future__ import annotations

import copy
import hashlib
import importlib
import os
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Mapping

from ingestion.demo.api_common import FaultDialect, Request, Response, dig
from ingestion.demo.world import PLATFORMS as WORLD_PLATFORMS

MODES = ("http_429", "throttle_in_200", "server_error", "slow", "timeout", "truncated", "expired_token",
         "quota_exceeded", "duplicate_items", "late_rows", "schema_drift")
DRIFT_KINDS = ("new_field", "string_count", "missing_field")
PARAMS = ("retry_after", "burst", "delay", "throttle_code", "drift")
ENV_FAULTS = "KOL_DEMO_FAULTS"
ENV_SEED = "KOL_DEMO_FAULT_SEED"

# Terminal faults answer instead of the platform; the first that fires wins.
_TERMINAL = ("server_error", "expired_token", "quota_exceeded", "http_429", "throttle_in_200")
_JSON = "application/json; charset=utf-8"
_GATEWAY_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
                 "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class FaultConfigError(ValueError):
    """A fault configuration that names something that does not exist or is out of range."""


# --------------------------------------------------------------------------- platform dialects

# Each platform module says how it words its faults (``FAULT_DIALECT``); this module stays generic.
DIALECTS: dict[str, FaultDialect] = {
    p: importlib.import_module(f"ingestion.demo.{p}_api").FAULT_DIALECT for p in WORLD_PLATFORMS
}
PLATFORMS = tuple(DIALECTS)
QUOTA_PLATFORMS = tuple(p for p, d in DIALECTS.items() if d.quota is not None)


# --------------------------------------------------------------------------- configuration

@dataclass(frozen=True)
class PlatformFaults:
    """One platform's faults: mode -> probability, and the modes' parameters."""

    modes: Mapping[str, float] = field(default_factory=dict)
    retry_after: int = 1  # seconds, for http_429 (0 and hours allowed)
    burst: int = 1  # consecutive failing requests per server_error
    delay: float = 2.0  # seconds, for slow
    throttle_code: int | None = None  # for throttle_in_200; None: the platform's default
    drift: tuple[str, ...] = DRIFT_KINDS  # what schema_drift changes

    def __post_init__(self) -> None:
        unknown = sorted(set(self.modes) - set(MODES))
        if unknown:
            raise FaultConfigError(f"unknown fault mode {', '.join(map(repr, unknown))}; "
                                   f"valid modes: {', '.join(MODES)}")
        for mode, p in self.modes.items():
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
                raise FaultConfigError(f"probability of {mode} must be a number from 0 to 1, got {p!r}")
        object.__setattr__(self, "modes", {m: float(self.modes[m]) for m in MODES if m in self.modes})
        if isinstance(self.retry_after, bool) or not isinstance(self.retry_after, int) or self.retry_after < 0:
            raise FaultConfigError(f"retry_after must be a whole number of seconds >= 0, got {self.retry_after!r}")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise FaultConfigError(f"burst must be a whole number of requests >= 1, got {self.burst!r}")
        if isinstance(self.delay, bool) or not isinstance(self.delay, (int, float)) or self.delay < 0:
            raise FaultConfigError(f"delay must be a number of seconds >= 0, got {self.delay!r}")
        drift = (self.drift,) if isinstance(self.drift, str) else tuple(self.drift)
        bad = [d for d in drift if d not in DRIFT_KINDS]
        if bad or not drift:
            raise FaultConfigError(f"unknown drift {', '.join(map(repr, bad)) or '(none)'}; "
                                   f"valid: {', '.join(DRIFT_KINDS)} (join several with +)")
        object.__setattr__(self, "drift", tuple(d for d in DRIFT_KINDS if d in drift))


@dataclass(frozen=True)
class FaultConfig:
    """Faults per platform, plus the seed that makes their sequence reproducible.

    ``FaultConfig({"weibo": PlatformFaults({"http_429": 0.1}, retry_after=0)}, seed=7)``;
    a plain ``{mode: probability}`` dict is accepted in place of ``PlatformFaults``.
    """

    platforms: Mapping[str, PlatformFaults] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.platforms) - set(PLATFORMS))
        if unknown:
            raise FaultConfigError(f"unknown platform {', '.join(map(repr, unknown))}; "
                                   f"valid platforms: {', '.join(PLATFORMS)}")
        platforms = {}
        for name, faults in self.platforms.items():
            if not isinstance(faults, PlatformFaults):
                faults = PlatformFaults(dict(faults))
            codes = DIALECTS[name].throttle_codes
            if faults.throttle_code is not None and faults.throttle_code not in codes:
                raise FaultConfigError(f"throttle_code {faults.throttle_code!r} is not a {name} throttle; "
                                       f"valid: {', '.join(map(str, codes))}")
            if faults.modes.get("quota_exceeded") and DIALECTS[name].quota is None:
                raise FaultConfigError(f"{name} has no daily quota to exhaust; quota_exceeded works for "
                                       f"{', '.join(QUOTA_PLATFORMS)}")
            platforms[name] = faults
        object.__setattr__(self, "platforms", platforms)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise FaultConfigError(f"seed must be an integer, got {self.seed!r}")

    @classmethod
    def parse(cls, text: str, seed: int = 0) -> "FaultConfig":
        """Parse the compact syntax, e.g. ``weibo:http_429=0.1,retry_after=0;instagram:expired_token=1``."""
        platforms: dict[str, PlatformFaults] = {}
        for section in (s.strip() for s in text.split(";")):
            if not section:
                continue
            name, colon, body = section.partition(":")
            name = name.strip()
            if not colon:
                raise FaultConfigError(f"fault section {section!r} must look like <platform>:<mode>=<probability>,...; "
                                       f"valid platforms: {', '.join(PLATFORMS)}")
            if name not in PLATFORMS:
                raise FaultConfigError(f"unknown platform {name!r}; valid platforms: {', '.join(PLATFORMS)}")
            if name in platforms:
                raise FaultConfigError(f"platform {name!r} appears twice; give each platform one section")
            modes: dict[str, float] = {}
            params: dict[str, object] = {}
            for entry in (e.strip() for e in body.split(",")):
                if not entry:
                    continue
                key, eq, value = (part.strip() for part in entry.partition("="))
                if key in MODES:
                    modes[key] = _number(key, value, float) if eq else 1.0
                elif key in PARAMS:
                    if not eq or not value:
                        raise FaultConfigError(f"parameter {key} needs a value ({key}=...)")
                    params[key] = (tuple(value.split("+")) if key == "drift"
                                   else _number(key, value, float if key == "delay" else int))
                else:
                    raise FaultConfigError(f"unknown fault mode or parameter {key!r} for {name}; "
                                           f"valid modes: {', '.join(MODES)}; parameters: {', '.join(PARAMS)}")
            platforms[name] = PlatformFaults(modes, **params)
        return cls(platforms, seed=seed)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "FaultConfig | None":
        """``KOL_DEMO_FAULTS`` (and ``KOL_DEMO_FAULT_SEED``), or None when no faults are set."""
        text = environ.get(ENV_FAULTS, "").strip()
        if not text:
            return None
        return cls.parse(text, seed=parse_seed(environ.get(ENV_SEED, "0")))

    def __str__(self) -> str:
        sections = []
        for name, f in self.platforms.items():
            parts = [f"{m}={p:g}" for m, p in f.modes.items()]
            defaults = PlatformFaults()
            for param in PARAMS:
                value = getattr(f, param)
                if value != getattr(defaults, param):
                    parts.append(f"{param}={'+'.join(value) if param == 'drift' else value}")
            sections.append(f"{name}:{','.join(parts)}")
        return ";".join(sections)

    @property
    def active(self) -> bool:
        return any(p > 0 for f in self.platforms.values() for p in f.modes.values())


def _number(key: str, value: str, kind: type) -> float | int:
    try:
        return kind(value)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise FaultConfigError(f"{key} must be {what}, got {value!r}") from None


def parse_seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FaultConfigError(f"fault seed must be an integer, got {text!r}") from None


# --------------------------------------------------------------------------- injection

@dataclass
class RawResponse:
    """An answer the platform handlers never give: bytes as they are, any content type."""

    status: int
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = _JSON
    hang_up: bool = False  # close the connection without answering

    def encode(self) -> bytes:
        return self.payload


class FaultInjector:
    """Decides, per request, which faults fire, and applies them. Thread-safe."""

    _PAGE_MEMORY = 4096  # last items of served pages kept for duplicate_items

    def __init__(self, config: FaultConfig):
        self.config = config
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._burst_left: Counter[str] = Counter()
        self._injected: dict[str, Counter[str]] = {p: Counter() for p in config.platforms}
        self._pages: OrderedDict[tuple, dict] = OrderedDict()

    @property
    def injected(self) -> dict[str, dict[str, int]]:
        """Faults applied so far: ``{platform: {mode: count}}`` (only non-zero counts)."""
        with self._lock:
            return {p: dict(c) for p, c in self._injected.items() if c}

    def requests_seen(self, platform: str) -> int:
        with self._lock:
            return self._requests[platform]

    def draw(self, platform: str, n: int, what: str) -> float:
        """A uniform number in [0, 1) fixed by (seed, platform, request number, what)."""
        key = f"{self.config.seed}\x1f{platform}\x1f{n}\x1f{what}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64

    def _plan(self, platform: str, faults: PlatformFaults) -> tuple[int, set[str]]:
        with self._lock:
            n = self._requests[platform]
            self._requests[platform] += 1
            fired = {m for m, p in faults.modes.items() if self.draw(platform, n, m) < p}
            if self._burst_left[platform]:
                self._burst_left[platform] -= 1
                fired.add("server_error")
            elif "server_error" in fired:
                self._burst_left[platform] = faults.burst - 1
        return n, fired

    def _count(self, platform: str, mode: str, n: int = 1) -> None:
        with self._lock:
            self._injected[platform][mode] += n

    def serve(self, platform: str, req: Request, answer: Callable[[], Response]) -> Response | RawResponse:
        """The platform's answer to ``req`` (``answer()``), or a fault in its place or on top of it."""
        faults = self.config.platforms.get(platform)
        if faults is None:
            return answer()
        n, fired = self._plan(platform, faults)
        if "slow" in fired:
            self._count(platform, "slow")
            time.sleep(faults.delay)
        if "timeout" in fired:
            # Hang, then hang up without a word: the client's read time-out fires first.
            self._count(platform, "timeout")
            time.sleep(faults.delay)
            return RawResponse(0, b"", hang_up=True)
        dialect = DIALECTS[platform]
        terminal = next((m for m in _TERMINAL if m in fired), None)
        if terminal is not None:
            self._count(platform, terminal)
            return self._terminal(terminal, platform, n, req, faults, dialect)
        if "late_rows" in faults.modes and dialect.page_numbered:
            req.item_filter = self._late_filter(platform, req, faults, dialect)
        resp = answer()
        if resp.status != 200 or not isinstance(resp.body, dict):
            return resp
        body = resp.body
        if "late_rows" in faults.modes and not dialect.page_numbered:
            body = self._hold_back_late_rows(platform, req, body, faults, dialect)
        memory = "duplicate_items" in faults.modes
        items = self._items(body, dialect)
        if memory and items is not None:
            self._remember(platform, req, body, items, dialect)
        if "duplicate_items" in fired and items:
            body = copy.deepcopy(body) if body is resp.body else body
            items = self._items(body, dialect)
            items.insert(*self._duplicate(platform, req, items, dialect))
            self._count(platform, "duplicate_items")
        if "schema_drift" in fired:
            body = copy.deepcopy(body) if body is resp.body else body
            targets = self._items(body, dialect)
            if targets is None:
                data = body.get("data")
                targets = [data] if isinstance(data, dict) and not self._items(data, dialect) else [body]
            if targets and self._drift([t for t in targets if isinstance(t, dict)], faults, dialect):
                self._count(platform, "schema_drift")
        if body is not resp.body:
            resp = Response(resp.status, body, dict(resp.headers))
        if "truncated" in fired:
            text = resp.encode().decode("utf-8")
            share = 0.25 + 0.5 * self.draw(platform, n, "truncated.cut")
            cut = max(1, min(len(text) - 1, int(len(text) * share)))
            self._count(platform, "truncated")
            return RawResponse(resp.status, text[:cut].encode("utf-8"), dict(resp.headers))
        return resp

    # -- terminal faults: answered without the platform

    def _terminal(self, mode: str, platform: str, n: int, req: Request, faults: PlatformFaults,
                  dialect: FaultDialect) -> Response | RawResponse:
        if mode == "server_error":
            status = (500, 502, 503)[int(self.draw(platform, n, "server_error.status") * 3)]
            if status == 500:
                code, message, extra = dialect.transient
                return Response(500, dialect.envelope(req, code, message, **extra))
            reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}[status]
            page = _GATEWAY_PAGE.format(status=status, reason=reason)
            return RawResponse(status, page.encode(), content_type="text/html")
        if mode == "expired_token":
            code, message, extra = dialect.expired
            now = datetime.now(timezone.utc)
            message = message.format(expired=(now - timedelta(hours=1)).strftime("%A, %d-%b-%y %H:%M:%S UTC"),
                                     now=now.strftime("%A, %d-%b-%y %H:%M:%S UTC"))
            return Response(dialect.expired_status, dialect.envelope(req, code, message, **extra),
                            dict(dialect.expired_headers))
        if mode == "quota_exceeded":
            status, code, message, extra = dialect.quota
            return Response(status, dialect.envelope(req, code, message, **extra))
        if mode == "http_429":
            code, message, extra = dialect.http_429
            headers = {"Retry-After": str(faults.retry_after), **dialect.throttle_headers}
            return Response(429, dialect.envelope(req, code, message, **extra), headers)
        code = faults.throttle_code or dialect.default_throttle
        return Response(200, dialect.envelope(req, code, dialect.throttle_codes[code], **dialect.throttle_extra),
                        dict(dialect.throttle_headers))

    # -- body faults: applied to the platform's HTTP 200 answer

    @staticmethod
    def _items(body: dict, dialect: FaultDialect) -> list | None:
        for key in dialect.list_keys:
            found = dig(body, key)
            if isinstance(found, list):
                return found
        return None

    @staticmethod
    def _cursor(req: Request, param: str) -> str | None:
        value = req.params.get(param)
        if value is None and isinstance(req.json, dict) and param in req.json:
            value = str(req.json[param])
        return value

    @staticmethod
    def _walk_key(platform: str, req: Request, dialect: FaultDialect) -> tuple:
        # One paged walk: same endpoint and parameters, whatever the cursor and token.
        skip = {"access_token", "key", *dialect.cursor_params}
        body = req.json if isinstance(req.json, dict) else {}
        return (platform, req.path, tuple(sorted((k, v) for k, v in req.params.items() if k not in skip)),
                tuple(sorted((k, repr(v)) for k, v in body.items() if k not in skip)))

    def _remember(self, platform: str, req: Request, body: dict, items: list, dialect: FaultDialect) -> None:
        nxt = dialect.next_cursor(body)
        if not items or nxt is None:
            return
        with self._lock:
            self._pages[(self._walk_key(platform, req, dialect), nxt)] = copy.deepcopy(items[-1])
            while len(self._pages) > self._PAGE_MEMORY:
                self._pages.popitem(last=False)

    def _duplicate(self, platform: str, req: Request, items: list, dialect: FaultDialect) -> tuple[int, object]:
        walk = self._walk_key(platform, req, dialect)
        with self._lock:
            for param in dialect.cursor_params:
                previous = self._pages.get((walk, self._cursor(req, param)))
                if previous is not None:
                    return 0, copy.deepcopy(previous)  # the previous page's last item, again
        return 1, copy.deepcopy(items[0])  # no previous page known: this page's first item twice

    def _late_filter(self, platform: str, req: Request, faults: PlatformFaults, dialect: FaultDialect):
        day, p = _export_day_of(req), faults.modes["late_rows"]

        def keep(item: dict) -> bool:
            late = (day is not None and _created_day(dialect, item) == day
                    and _unit(self.config.seed, platform, "late", _identity(item)) < p)
            if late:
                self._count(platform, "late_rows")
            return not late
        return keep

    def _hold_back_late_rows(self, platform: str, req: Request, body: dict, faults: PlatformFaults,
                             dialect: FaultDialect) -> dict:
        """Items created on the export day that the platform will only show a day later."""
        day = _export_day_of(req)
        items = self._items(body, dialect)
        if day is None or not items:
            return body
        p = faults.modes["late_rows"]
        late = [i for i, item in enumerate(items)
                if isinstance(item, dict) and _created_day(dialect, item) == day
                and _unit(self.config.seed, platform, "late", _identity(item)) < p]
        if not late:
            return body
        body = copy.deepcopy(body)
        kept = self._items(body, dialect)
        for i in reversed(late):
            del kept[i]
        self._count(platform, "late_rows", len(late))
        return body

    @staticmethod
    def _drift(items: list[dict], faults: PlatformFaults, dialect: FaultDialect) -> bool:
        changed = False
        for item in items:
            if "new_field" in faults.drift:
                name, value = dialect.new_field
                item[name] = value
                changed = True
            if "string_count" in faults.drift:
                for path in dialect.count_fields:
                    *parents, name = path.split(".")
                    holder = dig(item, ".".join(parents)) if parents else item
                    value = holder.get(name) if isinstance(holder, dict) else None
                    if isinstance(value, int) and not isinstance(value, bool):
                        holder[name] = dialect.display_count(value)
                        changed = True
            if "missing_field" in faults.drift:
                for path in dialect.optional_fields:  # the first present goes; dotted paths reach nested fields
                    *parents, name = path.split(".")
                    holder = dig(item, ".".join(parents)) if parents else item
                    if isinstance(holder, dict) and name in holder:
                        del holder[name]
                        changed = True
                        break
        return changed


def _unit(*parts: object) -> float:
    key = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64


_IDENTITY_KEYS = ("id", "idstr", "item_id", "note_id", "aid", "bvid", "rpid", "user_comment_id", "msgid", "comment_id",
                  "video_id", "open_id", "openid", "mid", "user_id")


def _identity(item: dict) -> str:
    """An item's own id, whatever the platform calls it; a comment's id before its author's."""
    for key in _IDENTITY_KEYS:
        value = item.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return f"{key}={value}"
    return repr(sorted((k, repr(v)) for k, v in item.items()))


def _created_day(dialect: FaultDialect, item: dict):
    try:
        ts = dialect.item_time(item)
    except Exception:  # a drifted item is not late, just odd
        return None
    return None if ts is None else ts.astimezone(timezone.utc).date()


def _export_day_of(req: Request):
    raw = req.params.get("export_date")
    if raw is None and isinstance(req.json, dict):
        raw = req.json.get("end_date")  # WeChat's datacube windows end on the day they describe
    try:
        return date.fromisoformat(str(raw)) if raw is not None else None
    except ValueError:
        return None
