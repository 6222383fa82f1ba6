"""Each slice's raw API responses, kept as they came, so a slice can be re-normalised
after a parser fix without calling the platform again.

    <lake>/responses/<platform>/dt=YYYY-MM-DD/responses.zst.fernet

One JSON line per answered call, in the order the connector made them: the request
(method, path, parameters and JSON body, with the credential left out) and the answer
(status, parsed body). The first line describes the pull (platform, day, accounts).
The lines are written as the answers come, in blocks of about 256 KiB: each block is
zstd-compressed, then encrypted (Fernet: AES with an HMAC) with ``KOL_RAW_RESPONSES_KEY``,
and becomes one line of the file. Raw answers name followers and commenters, and the lake
promises that no raw follower id is readable in it. The file is moved into place
atomically, after the slices it describes.

Replaying runs the platform's own connector against the recorded answers (``ReplayHttp``
serves the answer recorded for the same request), then normalises and lands exactly
as a pull does: a fixed parser gives the slices a fresh pull would have given.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import uuid
from collections import defaultdict, deque
from typing import Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
from cryptography.fernet import Fernet, InvalidToken

from ingestion.http import HttpStats, PlatformError
from ingestion.settings import PlatformSettings

ENV_KEY = "KOL_RAW_RESPONSES_KEY"
DEMO_KEY = "demo-raw-responses-key-not-secret"  # a real deployment sets its own, kept secret
FILE_NAME = "responses.zst.fernet"
FIRST_FORMAT_NAME = "responses.jsonl.gz.fernet"  # one gzip stream, one token: still read


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


BLOCK_BYTES = 256 * 1024  # answers are compressed and encrypted this many bytes of JSON at a time


class Recorder:
    """Streams the answers of one pull into the platform-day's responses file as they come;
    ``PlatformHttp(recorder=...)`` feeds it. The file is written under a temporary name and
    only ``commit()`` puts it in place, after the slices it describes have landed; a pull
    that fails ``discard()``s it. Memory holds one block of answers, whatever the day's size.

    On disk, one line per block: a Fernet token of the zstd-compressed JSON lines of that
    block. The first JSON line describes the pull (platform, day, accounts)."""

    def __init__(self, lake: Path, platform: str, day: date, accounts: list[str], secret: str = "",
                 key: str | None = None):
        self.secret = secret
        self.calls = 0
        self.target = responses_path(lake, platform, day)
        # The folders this pull creates, so that a failed pull leaves the lake as it found it.
        self._created = [d for d in (self.target.parent, *self.target.parent.parents) if not d.exists()]
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.target.with_name(f".{self.target.name}.{uuid.uuid4().hex}.tmp")
        self._fh = open(self._tmp, "wb")
        self._fernet = _fernet(key)
        self._secret_bytes = secret.encode() if secret else b""
        self._block: list[bytes] = []
        self._block_bytes = 0
        self._platform = platform
        self._write({"platform": platform, "day": day.isoformat(), "accounts": accounts, "format": 2,
                     "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    def add(self, method: str, path: str, params: dict | None, json_body: dict | None, status: int,
            body: object, raw: bytes | None = None) -> None:
        """One answered call. ``raw``, the body's bytes as they came, is kept as it is when it is
        UTF-8 JSON (it parsed as ``body``): cheaper than writing ``body`` out again, and truer."""
        clean = {k: v for k, v in (params or {}).items() if str(v) != self.secret}
        head = json.dumps({"method": method, "path": path, "params": clean, "json": json_body, "status": status},
                          ensure_ascii=False, default=str).encode("utf-8")
        if raw is not None and _is_utf8(raw):
            # Line breaks in JSON can only be whitespace between tokens (inside strings they are
            # escaped), so they become spaces and the answer stays one line, meaning the same.
            body_bytes = raw.replace(b"\r", b" ").replace(b"\n", b" ")
        else:
            body_bytes = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
        self._write_line(head[:-1] + b', "body": ' + body_bytes + b"}")
        self.calls += 1

    def _write(self, item: dict) -> None:
        self._write_line(json.dumps(item, ensure_ascii=False, default=str).encode("utf-8"))

    def _write_line(self, line: bytes) -> None:
        if self._secret_bytes and self._secret_bytes in line:
            raise RuntimeError(f"{self._platform}: refusing to keep responses that contain the credential")
        self._block.append(line)
        self._block_bytes += len(line) + 1
        if self._block_bytes >= BLOCK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._block:
            self._fh.write(self._fernet.encrypt(_compress(b"\n".join(self._block))) + b"\n")
            self._block, self._block_bytes = [], 0

    def commit(self) -> Path:
        self._flush()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.target)
        return self.target

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
        for d in self._created:  # deepest first
            try:
                d.rmdir()
            except OSError:  # not empty: something else lives there now
                break


def load(lake: Path, platform: str, day: date, secret: str | None = None) -> tuple[dict, Iterator[dict]]:
    """The pull's header and an iterator over its recorded calls, read block by block."""
    path = responses_path(lake, platform, day)
    if not path.exists() and path.with_name(FIRST_FORMAT_NAME).exists():
        path = path.with_name(FIRST_FORMAT_NAME)
    if not path.exists():
        raise FileNotFoundError(f"no recorded responses for {platform} on {day}: {path} (pull the day first)")
    lines = _recorded_lines(path, _fernet(secret))
    return json.loads(next(lines)), (json.loads(line) for line in lines)


# zstd (pyarrow's codec) rather than gzip: a fraction of the CPU for as small a file. pyarrow
# wants the decompressed size, so each block starts with a tag and that size.
_ZSTD = pa.Codec("zstd", compression_level=3)
_ZSTD_TAG = b"KZ1"
_GZIP_MAGIC = b"\x1f\x8b"


def _compress(data: bytes) -> bytes:
    return _ZSTD_TAG + len(data).to_bytes(8, "little") + _ZSTD.compress(data, asbytes=True)


def _decompress(blob: bytes) -> bytes:
    if blob[:2] == _GZIP_MAGIC:  # the first format: one gzip stream for the whole file
        return gzip.decompress(blob)
    if blob[:3] != _ZSTD_TAG:
        raise ValueError("not a block of recorded responses")
    size = int.from_bytes(blob[3:11], "little")
    return _ZSTD.decompress(blob[11:], decompressed_size=size, asbytes=True)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _recorded_lines(path: Path, fernet: Fernet) -> Iterator[str]:
    # A file of the first format is a single token holding every line; it reads the same way.
    with open(path, "rb") as fh:
        for token in fh:
            token = token.strip()
            if not token:
                continue
            try:
                text = _decompress(fernet.decrypt(token)).decode("utf-8")
            except InvalidToken:
                raise PermissionError(f"{path} cannot be decrypted: {ENV_KEY} is not the key it was written "
                                      "with") from None
            yield from text.split("\n")


class ReplayHttp:
    """``PlatformHttp``'s interface, answered from recorded calls instead of the network."""

    def __init__(self, settings: PlatformSettings, calls: Iterable[dict]):
        self.settings = settings
        self.stats = HttpStats()
        # Read as far as the call asked for: the connector asks in the order it recorded, so
        # only the answers it has not reached yet wait here, not the whole day.
        self._unread = iter(calls)
        self._answers: dict[str, deque] = defaultdict(deque)

    def get(self, path: str, params: dict | None = None, headers: dict | None = None, classify=None):
        return self.request("GET", path, params=params, headers=headers, classify=classify)

    def post(self, path: str, params: dict | None = None, headers: dict | None = None, json: dict | None = None,
             classify=None):
        return self.request("POST", path, params=params, headers=headers, json=json, classify=classify)

    def request(self, method: str, path: str, params: dict | None = None, headers: dict | None = None,
                json: dict | None = None, classify=None):
        key = _request_key(method, path, params, json, self.settings.token)
        queue = self._answers.get(key)
        while not queue:
            c = next(self._unread, None)
            if c is None:
                break
            self._answers[_request_key(c["method"], c["path"], c["params"], c["json"], self.settings.token)].append(
                (c["status"], c["body"]))
            queue = self._answers.get(key)
        if not queue:
            raise PlatformError(self.settings.platform, "fatal",
                                f"replay: no recorded answer for {method} {path}; the connector now asks for "
                                "something the original pull did not, so this day needs a fresh pull")
        status, body = queue.popleft()
        self.stats.requests += 1
        if classify is not None:
            classify(status, body, {})
        return status, body

    def map(self, fn, items):
        # One call at a time: the answers are on disk, there is nothing to wait for.
        return map(fn, items)

    def redact(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass
