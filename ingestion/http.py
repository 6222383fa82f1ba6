"""The one HTTP mechanism every platform client shares.

A pooled ``requests.Session`` with time-outs, and urllib3's ``Retry`` for
throttles (429) and transient faults (5xx), honouring ``Retry-After``. Platforms
that hide errors in HTTP 200 bodies are handled by each client's classifier,
which raises ``PlatformError``. Secrets are scrubbed from every message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingestion.settings import PlatformSettings


KINDS = ("auth", "throttle", "transient", "quota", "fatal")


class PlatformError(RuntimeError):
    """A platform refused a request. ``kind`` is one of KINDS:

    - ``auth``: the credential is missing, wrong or expired (the message says which variable to renew);
    - ``throttle``: a rate limit that waiting cures (retried);
    - ``transient``: an outage or a broken answer (retried);
    - ``quota``: a daily quota is gone; no retry within the day helps (the message says when it resets);
    - ``fatal``: anything else: a bug on one side or the other.
    """

    def __init__(self, platform: str, kind: str, message: str):
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}; kinds: {', '.join(KINDS)}")
        super().__init__(f"{platform}: {message}")
        self.platform, self.kind = platform, kind


def quota_resets(tz_name: str, now: datetime | None = None) -> str:
    """When a daily quota that resets at local midnight in ``tz_name`` comes back, in words."""
    zone = ZoneInfo(tz_name)
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return (f"the quota resets at midnight {tz_name}, "
            f"{midnight.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC; a later run or a backfill picks the slice up")


@dataclass
class HttpStats:
    requests: int = 0
    bytes: int = 0


class RetryAfterTooLong(Exception):
    def __init__(self, seconds: float, cap: float):
        super().__init__(f"Retry-After {seconds:.0f} s is over the cap of {cap:.0f} s")
        self.seconds, self.cap = seconds, cap


class _RetryWithinCap(Retry):
    """urllib3's Retry, except that a Retry-After beyond the cap fails the request
    instead of stalling the run for hours (urllib3 itself would wait up to 6 h).
    ``Retry-After: 0`` means "no hint" and falls back to exponential backoff."""

    def parse_retry_after(self, retry_after: str) -> float:
        text = retry_after.strip()
        seconds = float(text) if text.isdigit() else super().parse_retry_after(retry_after)
        if seconds > self.retry_after_max:
            raise RetryAfterTooLong(seconds, self.retry_after_max)
        return seconds


class PlatformHttp:
    def __init__(self, settings: PlatformSettings):
        self.settings = settings
        self.stats = HttpStats()
        retry = _RetryWithinCap(
            total=settings.retries,
            backoff_factor=0.5,
            status_forcelist=(429, 500, 502, 503, 504),
            # The POSTs platforms use for reads (WeChat datacube, TikTok lists) are as safe to repeat.
            allowed_methods=("GET", "POST"),
            respect_retry_after_header=True,
            retry_after_max=settings.retry_after_max_s,
            raise_on_status=False,  # the classifier renders the final error in the platform's words
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
        self.session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=4))

    def redact(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text

    def get(self, path: str, params: dict | None = None, headers: dict | None = None) -> tuple[int, object]:
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path: str, params: dict | None = None, headers: dict | None = None,
             json: dict | None = None) -> tuple[int, object]:
        return self.request("POST", path, params=params, headers=headers, json=json)

    def request(self, method: str, path: str, params: dict | None = None, headers: dict | None = None,
                json: dict | None = None) -> tuple[int, object]:
        """One call; returns (HTTP status, parsed JSON body). Classifying the body is the client's job."""
        url = f"{self.settings.base_url}{path}"
        try:
            resp = self.session.request(method, url, params=params, headers=headers, json=json,
                                        timeout=self.settings.timeout_s)
        except RetryAfterTooLong as exc:
            raise PlatformError(self.settings.platform, "throttle",
                                f"{path}: the platform asks to wait {exc.seconds:.0f} s (Retry-After), more than "
                                f"KOL_HTTP_RETRY_AFTER_MAX_S={exc.cap:.0f}; this slice fails now and a later run "
                                "or a backfill picks it up") from None
        except requests.RequestException as exc:
            # requests puts the full URL, query string and token included, in its messages.
            raise PlatformError(self.settings.platform, "transient",
                                f"request to {self.redact(url)} failed: {self.redact(str(exc))}") from None
        self.stats.requests += 1
        self.stats.bytes += len(resp.content)
        try:
            body = resp.json()
        except ValueError:
            # A gateway's HTML page during an outage, or a body cut short: worth another try later.
            kind = "transient" if resp.status_code == 429 or resp.status_code >= 500 or resp.status_code == 200 else "fatal"
            raise PlatformError(self.settings.platform, kind,
                                f"{path} answered HTTP {resp.status_code} with a body that is not JSON: "
                                f"{self.redact(resp.text[:200])!r}") from None
        return resp.status_code, body

    def close(self) -> None:
        self.session.close()
