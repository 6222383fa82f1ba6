"""The one HTTP mechanism every platform client shares.

A pooled ``requests.Session`` with time-outs; urllib3's ``Retry`` for connections
that fail before any answer; and tenacity for answers that ask to be tried again.
Whether an answer asks that is decided by the platform's own classifier, because
platforms hide throttles in HTTP 200 bodies (Weibo 10023, Bilibili -412, TikTok
40100) and put daily quotas behind the same status as throttles (YouTube 403,
X 429 ``UsageCapExceeded``): a quota must fail fast, a throttle must wait.

    status, body = http.get(path, params=..., headers=..., classify=self._classify)

``classify(status, body, headers)`` returns nothing for data and raises
``PlatformError`` otherwise; kinds ``throttle`` and ``transient`` are retried (up to
``KOL_HTTP_RETRIES`` times), the others are not. Without a classifier, HTTP 429 and
5xx are retried and the last answer is returned for the client to word. ``Retry-After``
is honoured; ``0`` means "no hint" (exponential backoff instead); a value beyond
``KOL_HTTP_RETRY_AFTER_MAX_S`` fails the slice at once with a clear message. Secrets
are scrubbed from every message.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, Iterator, Mapping, TypeVar
from zoneinfo import ZoneInfo

import orjson
import requests
import tenacity
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingestion.settings import PlatformSettings

log = logging.getLogger(__name__)

KINDS = ("auth", "throttle", "transient", "quota", "fatal")
RETRYABLE = frozenset({"throttle", "transient"})
BACKOFF_BASE_S = 0.5  # first wait without a Retry-After; doubles per attempt
BACKOFF_MAX_S = 30.0


class PlatformError(RuntimeError):
    """A platform refused a request. ``kind`` is one of KINDS:

    - ``auth``: the credential is missing, wrong or expired (the message says which variable to renew);
    - ``throttle``: a rate limit that waiting cures (retried);
    - ``transient``: an outage or a broken answer (retried);
    - ``quota``: a daily quota is gone; no retry within the day helps (the message says when it resets);
    - ``fatal``: anything else: a bug on one side or the other.

    ``retry_after``: seconds the platform asked to wait, when it said.
    """

    def __init__(self, platform: str, kind: str, message: str, retry_after: float | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}; kinds: {', '.join(KINDS)}")
        super().__init__(f"{platform}: {message}")
        self.platform, self.kind, self.retry_after = platform, kind, retry_after


def quota_resets(tz_name: str, now: datetime | None = None) -> str:
    """When a daily quota that resets at local midnight in ``tz_name`` comes back, in words."""
    zone = ZoneInfo(tz_name)
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return (f"the quota resets at midnight {tz_name}, "
            f"{midnight.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC; a later run or a backfill picks the slice up")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date); None when absent, unreadable or 0."""
    raw = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(raw) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError):
            return None
    return seconds if seconds > 0 else None  # 0 is "no hint", not "hammer away"


class _LogRedactor(logging.Filter):
    """urllib3 logs request URLs, query strings included, at DEBUG; platforms that take the
    credential as a query parameter (WeChat's access_token, YouTube's key) would put it in
    those lines. The filter sits on the loggers that write them, since a filter on a parent
    logger does not see its children's records."""

    LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.poolmanager",
               "requests", __name__)

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            if any(s in text for s in self.secrets):
                for s in self.secrets:
                    text = text.replace(s, "***")
                record.msg, record.args = text, None
        return True


_REDACTOR = _LogRedactor()


def _parse_json(resp: requests.Response) -> object:
    """The body as JSON: orjson (several times faster than the standard library on a day of
    answers), and requests' own parser for what orjson refuses but JSON allows (integers
    beyond 64 bits, a UTF-16 body). A ValueError when it is not JSON at all, and when a UTF-8
    body holds bytes that are not UTF-8: requests would decode those as U+FFFD and land text
    the platform never sent."""
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        if requests.utils.guess_json_utf(resp.content) in (None, "utf-8"):
            try:
                resp.content.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
        return resp.json()


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0


Classifier = Callable[[int, object, Mapping[str, str]], None]
T = TypeVar("T")
R = TypeVar("R")


class _Retryable(Exception):
    """An answer the default classifier would try again (HTTP 429 or 5xx)."""

    def __init__(self, status: int, body: object, retry_after: float | None, raw: bytes | None = None):
        self.status, self.body, self.retry_after, self.raw = status, body, retry_after, raw


class PlatformHttp:
    def __init__(self, settings: PlatformSettings, sleep: Callable[[float], None] | None = None,
                 recorder=None):
        self.settings = settings
        self.recorder = recorder  # ingestion.replay.Recorder: keeps every accepted answer for replay
        self.stats = HttpStats()
        if settings.token:
            _REDACTOR.secrets.add(settings.token)
        self._sleep = sleep or tenacity.nap.sleep
        # urllib3 retries only what never got an answer (refused or reset connections);
        # answers are classified below, where the platform's words are known.
        connect_retry = Retry(total=settings.retries, connect=settings.retries, read=0, status=0,
                              backoff_factor=BACKOFF_BASE_S, allowed_methods=None, raise_on_status=False)
        self.session = requests.Session()
        pool = max(4, settings.concurrency)
        self.session.mount("http://", HTTPAdapter(max_retries=connect_retry, pool_maxsize=pool))
        self.session.mount("https://", HTTPAdapter(max_retries=connect_retry, pool_maxsize=pool))
        # Calls made from several threads (``map``) share the counters and the recorder.
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        # requests reads proxies and CA bundles from the environment again on every call (a
        # scan of os.environ, about a tenth of a pull); every call goes to one base URL, so
        # read them once. (.netrc, the other thing trust_env reads, is not used: each client
        # sends its platform's own credential.)
        env = self.session.merge_environment_settings(settings.base_url, {}, None, None, None)
        self.session.proxies.update(env["proxies"])
        self.session.verify = env["verify"]
        self.session.trust_env = False

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn(x) for x in items``, with up to ``settings.concurrency`` calls in flight, results in
        the order of ``items``. Connectors use it for independent calls (each post's comments), so
        the client parses one answer while the platform prepares the next. Only a few results
        run ahead of the consumer, so memory stays bounded; the first error is raised, as the
        loop would raise it."""
        width = self.settings.concurrency
        if width <= 1:
            yield from map(fn, items)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix=f"{self.settings.platform}-http")
        ahead: deque = deque()
        for item in items:
            ahead.append(self._pool.submit(fn, item))
            if len(ahead) > width:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def redact(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text

    def get(self, path: str, params: dict | None = None, headers: dict | None = None,
            classify: Classifier | None = None) -> tuple[int, object]:
        return self.request("GET", path, params=params, headers=headers, classify=classify)

    def post(self, path: str, params: dict | None = None, headers: dict | None = None, json: dict | None = None,
             classify: Classifier | None = None) -> tuple[int, object]:
        return self.request("POST", path, params=params, headers=headers, json=json, classify=classify)

    def request(self, method: str, path: str, params: dict | None = None, headers: dict | None = None,
                json: dict | None = None, classify: Classifier | None = None) -> tuple[int, object]:
        """One logical call, retried as its answers ask; returns (HTTP status, parsed JSON body)."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self._should_retry),
            stop=tenacity.stop_after_attempt(self.settings.retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=lambda state: self._note_retry(method, path, state),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    status, body, raw = self._once(method, path, params, headers, json, classify)
        except _Retryable as last:
            self._record(method, path, params, json, last.status, last.body, last.raw)
            return last.status, last.body  # out of retries: the client words the final answer
        except Exception as exc:
            # An error the client may handle (a deleted video, comments turned off) is part of
            # the day's story: a replay must meet it too.
            answer = getattr(exc, "answer", None)
            if answer is not None:
                self._record(method, path, params, json, *answer)
            raise
        self._record(method, path, params, json, status, body, raw)
        return status, body

    def _record(self, method: str, path: str, params: dict | None, json: dict | None, status: int,
                body: object, raw: bytes | None = None) -> None:
        if self.recorder is not None:
            with self._lock:
                self.recorder.add(method, path, params, json, status, body, raw=raw)

    def _once(self, method: str, path: str, params: dict | None, headers: dict | None, json: dict | None,
              classify: Classifier | None) -> tuple[int, object, bytes]:
        """One HTTP exchange: (status, parsed body, the body's bytes as they came)."""
        url = f"{self.settings.base_url}{path}"
        try:
            # Prepared here and sent through the session (its pool, adapters and retries):
            # Session.request would also merge session-level headers, cookies and hooks into
            # every call, which this client does not use, at a sixth of a call's CPU.
            prepared = requests.PreparedRequest()
            prepared.prepare(method=method, url=url, headers=headers, params=params, json=json)
            resp = self.session.send(prepared, timeout=self.settings.timeout_s)
        except requests.RequestException as exc:
            # requests puts the full URL, query string and token included, in its messages.
            raise PlatformError(self.settings.platform, "transient",
                                f"request to {self.redact(url)} failed: {self.redact(str(exc))}") from None
        with self._lock:
            self.stats.requests += 1
            self.stats.bytes += len(resp.content)
        wait = retry_after_seconds(resp.headers)
        try:
            body = _parse_json(resp)
        except ValueError as exc:
            # A gateway's HTML page during an outage, or a body cut short: worth another try.
            kind = "transient" if resp.status_code in (200, 429) or resp.status_code >= 500 else "fatal"
            raise PlatformError(self.settings.platform, kind,
                                f"{path} answered HTTP {resp.status_code} with a body that is not JSON "
                                f"({exc}; {len(resp.content):,} bytes): {self.redact(resp.text[:200])!r}",
                                retry_after=wait) from None
        if classify is not None:
            try:
                classify(resp.status_code, body, resp.headers)
            except PlatformError as exc:
                if exc.retry_after is None:
                    exc.retry_after = wait
                exc.answer = (resp.status_code, body, resp.content)
                raise
            except Exception as exc:  # a client's own signal (e.g. "this video is gone")
                exc.answer = (resp.status_code, body, resp.content)
                raise
        elif resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(resp.status_code, body, wait, resp.content)
        return resp.status_code, body, resp.content

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, _Retryable):
            retryable, wait = True, exc.retry_after
        elif isinstance(exc, PlatformError):
            retryable, wait = exc.kind in RETRYABLE, exc.retry_after
        else:
            return False
        cap = self.settings.retry_after_max_s
        if retryable and wait is not None and wait > cap:
            # Hours of Retry-After would stall the run: fail this slice now, clearly.
            raise PlatformError(self.settings.platform, "throttle",
                                f"the platform asks to wait {wait:.0f} s (Retry-After), more than "
                                f"KOL_HTTP_RETRY_AFTER_MAX_S={cap:.0f}; this slice fails now and a later run "
                                "or a backfill picks it up") from None
        return retryable

    def _note_retry(self, method: str, path: str, state: tenacity.RetryCallState) -> None:
        with self._lock:
            self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        what = f"HTTP {exc.status}" if isinstance(exc, _Retryable) else self.redact(str(exc))
        log.warning("%s %s %s: %s; retry %d of %d in %.1f s", self.settings.platform, method, path, what,
                    state.attempt_number, self.settings.retries, state.upcoming_sleep)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted:
            return float(hinted)
        return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (state.attempt_number - 1))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.session.close()
