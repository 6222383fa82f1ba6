"""Each slice's raw API responses, kept as they came, so a slice can be re-normalised
after a parser fix without calling the platform again.

    <lake>/responses/<platform>/dt=YYYY-MM-DD/responses.jsonl.gz.fernet

One JSON line per answered call, in the order the connector made them: the request
(method, path, parameters and JSON body, with the credential left out) and the answer
(status, parsed body). The first line describes the pull (platform, day, accounts).
The file is gzip-compressed, then encrypted (Fernet: AES with an HMAC) with
``KOL_RAW_RESPONSES_KEY``: raw answers name followers and commenters, and the lake
promises that no raw follower id is readable in it. Written atomically, after the
slices it describes.

Replaying runs the platform's own connector against the recorded answers (``ReplayHttp``
serves the answer recorded for the same request), then normalises and lands exactly
as a pull does: a fixed parser gives the slices a fresh pull would have given.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ingestion.http import HttpStats, PlatformError
from ingestion.settings import PlatformSettings

ENV_KEY = "KOL_RAW_RESPONSES_KEY"
DEMO_KEY = "demo-raw-responses-key-not-secret"  # a real deployment sets its own, kept secret
FILE_NAME = "responses.jsonl.gz.fernet"


def _fernet(secret: str | None = None) -> Fernet:
    # Any passphrase becomes a valid Fernet key: 32 bytes of its SHA-256, url-safe base64.
    raw = (secret or os.environ.get(ENV_KEY, DEMO_KEY)).encode("utf-8")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


def responses_path(lake: Path, platform: str, day: date) -> Path:
    from ingestion.landing import slice_dir

    # slice_dir checks the platform and the day against the vocabularies; "profiles" only
    # lends it an entity, the responses of the whole platform-day live one level up.
    return slice_dir(lake, "responses", platform, "profiles", day).parent.parent / f"dt={day.isoformat()}" / FILE_NAME


# Request parameters that sign a request with the clock (Bilibili's WBI w_rid and wts): a
# replay asks at another time, so they cannot pick the recorded answer.
VOLATILE_PARAMS = frozenset({"w_rid", "wts"})


def _request_key(method: str, path: str, params: dict | None, body: dict | None, secret: str) -> str:
    clean = {k: str(v) for k, v in (params or {}).items() if str(v) != secret and k not in VOLATILE_PARAMS}
    return json.dumps([method.upper(), path, sorted(clean.items()), body or {}], sort_keys=True, default=str)


@dataclass
class Recorder:
    """Collects the answers of one pull; ``PlatformHttp(recorder=...)`` feeds it."""

    secret: str = field(repr=False, default="")
    calls: list[dict] = field(default_factory=list)

    def add(self, method: str, path: str, params: dict | None, json_body: dict | None, status: int,
            body: object) -> None:
        clean = {k: v for k, v in (params or {}).items() if str(v) != self.secret}
        self.calls.append({"method": method, "path": path, "params": clean, "json": json_body,
                           "status": status, "body": body})


def save(lake: Path, platform: str, day: date, accounts: list[str], recorder: Recorder,
         secret: str | None = None) -> Path:
    target = responses_path(lake, platform, day)
    header = {"platform": platform, "day": day.isoformat(), "accounts": accounts, "calls": len(recorder.calls),
              "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    # Line by line into the compressor: the day's answers are never held twice as text.
    buffer = io.BytesIO()
    secret_bytes = recorder.secret.encode() if recorder.secret else b""
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=0) as gz:
        for i, item in enumerate([header, *recorder.calls]):
            line = (("\n" if i else "") + json.dumps(item, ensure_ascii=False, default=str)).encode("utf-8")
            if secret_bytes and secret_bytes in line:
                raise RuntimeError(f"{platform}: refusing to keep responses that contain the credential")
            gz.write(line)
    token = _fernet(secret).encrypt(buffer.getvalue())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(token)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def load(lake: Path, platform: str, day: date, secret: str | None = None) -> tuple[dict, list[dict]]:
    path = responses_path(lake, platform, day)
    if not path.exists():
        raise FileNotFoundError(f"no recorded responses for {platform} on {day}: {path} (pull the day first)")
    try:
        text = gzip.decompress(_fernet(secret).decrypt(path.read_bytes())).decode("utf-8")
    except InvalidToken:
        raise PermissionError(f"{path} cannot be decrypted: {ENV_KEY} is not the key it was written with") from None
    header, *calls = (json.loads(line) for line in text.splitlines())
    return header, calls


class ReplayHttp:
    """``PlatformHttp``'s interface, answered from recorded calls instead of the network."""

    def __init__(self, settings: PlatformSettings, calls: list[dict]):
        self.settings = settings
        self.stats = HttpStats()
        self._answers: dict[str, deque] = defaultdict(deque)
        for c in calls:
            key = _request_key(c["method"], c["path"], c["params"], c["json"], settings.token)
            self._answers[key].append((c["status"], c["body"]))

    def get(self, path: str, params: dict | None = None, headers: dict | None = None, classify=None):
        return self.request("GET", path, params=params, headers=headers, classify=classify)

    def post(self, path: str, params: dict | None = None, headers: dict | None = None, json: dict | None = None,
             classify=None):
        return self.request("POST", path, params=params, headers=headers, json=json, classify=classify)

    def request(self, method: str, path: str, params: dict | None = None, headers: dict | None = None,
                json: dict | None = None, classify=None):
        queue = self._answers.get(_request_key(method, path, params, json, self.settings.token))
        if not queue:
            raise PlatformError(self.settings.platform, "fatal",
                                f"replay: no recorded answer for {method} {path}; the connector now asks for "
                                "something the original pull did not, so this day needs a fresh pull")
        status, body = queue.popleft()
        self.stats.requests += 1
        if classify is not None:
            classify(status, body, {})
        return status, body

    def redact(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass
