"""The one HTTP mechanism every platform client shares.

A pooled ``requests.Session`` with time-outs, and urllib3's ``Retry`` for
throttles (429) and transient faults (5xx), honouring ``Retry-After``. Platforms
that hide errors in HTTP 200 bodies are handled by each client's classifier,
which raises ``PlatformError``. Secrets are scrubbed from every message.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingestion.settings import PlatformSettings


class PlatformError(RuntimeError):
    """A platform refused a request. ``kind`` is one of: auth, throttle, transient, fatal."""

    def __init__(self, platform: str, kind: str, message: str):
        super().__init__(f"{platform}: {message}")
        self.platform, self.kind = platform, kind


@dataclass
class HttpStats:
    requests: int = 0
    bytes: int = 0


class PlatformHttp:
    def __init__(self, settings: PlatformSettings):
        self.settings = settings
        self.stats = HttpStats()
        retry = Retry(
            total=settings.retries,
            backoff_factor=0.5,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=("GET", "POST"),
            respect_retry_after_header=True,
            raise_on_status=False,  # the classifier renders the final error in the platform's words
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
        self.session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=4))

    def redact(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text

    def get(self, path: str, params: dict | None = None, headers: dict | None = None) -> tuple[int, object]:
        url = f"{self.settings.base_url}{path}"
        try:
            resp = self.session.get(url, params=params, headers=headers, timeout=self.settings.timeout_s)
        except requests.RequestException as exc:
            # requests puts the full URL, query string and token included, in its messages.
            raise PlatformError(self.settings.platform, "transient",
                                f"request to {self.redact(url)} failed: {self.redact(str(exc))}") from None
        self.stats.requests += 1
        self.stats.bytes += len(resp.content)
        try:
            body = resp.json()
        except ValueError:
            raise PlatformError(self.settings.platform, "fatal",
                                f"{path} answered HTTP {resp.status_code} with a body that is not JSON: "
                                f"{self.redact(resp.text[:200])!r}") from None
        return resp.status_code, body

    def close(self) -> None:
        self.session.close()
