"""The demo export API: every demo platform behind one loopback HTTP server.

    python -m ingestion.demo.server --port 8765 --preset small

serves each of the nine platforms under its own prefix (``/weibo/2/...``,
``/douyin/api/douyin/v1/...``, ``/instagram/v21.0/...``, ...; docs/demo-api/ lists
every endpoint). Tokens are the same
environment variables the connectors read (``KOL_WEIBO_ACCESS_TOKEN``, ...), so a
demo run and the server agree without a token ever being written down twice.

Faults on demand (``ingestion/demo/faults.py`` documents each mode): the server can
play a hostile platform, per platform, with a probability per mode and a seed that
makes the sequence reproducible::

    python -m ingestion.demo.server --fault-seed 7 --faults "weibo:http_429=0.1,retry_after=0;instagram:expired_token=1"
    KOL_DEMO_FAULTS="weibo:server_error=0.05,burst=3" python -m ingestion.demo.server

Modes: http_429, throttle_in_200, server_error, slow, timeout, truncated,
expired_token, quota_exceeded, duplicate_items, late_rows, schema_drift. Parameters: retry_after (seconds), burst (requests),
delay (seconds), throttle_code, drift (new_field+string_count+missing_field).
``KOL_DEMO_FAULTS`` and ``KOL_DEMO_FAULT_SEED`` are the flags' defaults; in-process,
pass ``DemoExportServer(faults=FaultConfig.parse(...))`` and read
``server.faults_injected``. Without faults the server answers every request correctly.

What was served, seen from the server (in-process only): ``DemoExportServer(ledger=True)``
keeps a ``ServedItem`` for every list item (and every single object, e.g. a profile) of each
answer it delivered whole: HTTP 200, a JSON body that is not an error, written to the socket
to the last byte. Throttles, outages, hang-ups and cut bodies serve nothing. Read it with
``server.served``: reliability tests compare it with the lake (nothing served may be lost).
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ingestion.demo.api_common import Platform, Request, Response
from ingestion.demo.faults import (
    DIALECTS, ENV_FAULTS, ENV_SEED, FaultConfig, FaultConfigError, FaultInjector, RawResponse, _export_day_of,
    _identity, parse_seed,
)
from ingestion.demo.world import PLATFORMS, PRESETS, World, default_world
from ingestion.settings import platform_settings

log = logging.getLogger(__name__)

# One module per platform, ``ingestion/demo/<platform>_api.py``, each with ``handle``.
MODULES = {p: importlib.import_module(f"ingestion.demo.{p}_api") for p in PLATFORMS}
HANDLERS = {p: m.handle for p, m in MODULES.items()}

# Top-level keys that make a JSON body an error, whatever its HTTP status (throttles inside a 200).
_ERROR_KEYS = ("error", "error_code")


@dataclass(frozen=True)
class ServedItem:
    """One record the demo API delivered: an item of a list page, a nested reply, or a single object."""

    platform: str
    path: str  # the endpoint, without the platform prefix: "/2/statuses/user_timeline.json"
    export_date: str | None  # the request's export_date (the platform-day asked for)
    id: str  # the item's own id (``id``, ``idstr``, ``item_id``, ...: faults._identity)
    created: datetime | None  # when the item was created (the platform's FAULT_DIALECT.item_time)
    kind: str  # "item" (of a list), "reply" (nested under an item) or "object" (a single answer)


def served_items(platform: str, req: Request, body: object) -> list[ServedItem]:
    """The records of one whole answer, as the ledger keeps them; none for an error body."""
    if not isinstance(body, dict) or any(k in body for k in _ERROR_KEYS) or body.get("errcode") not in (None, 0):
        return []
    dialect = DIALECTS[platform]
    day = _export_day_of(req)
    export = day.isoformat() if day is not None else None

    def one(item: dict, kind: str) -> ServedItem:
        try:
            created = dialect.item_time(item)
        except Exception:  # a drifted item: its time is none of the ledger's business
            created = None
        return ServedItem(platform, req.path, export, _identity(item).partition("=")[2], created, kind)

    items = FaultInjector._items(body, dialect)
    if items is None:
        return [one(body, "object")]
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        out.append(one(item, "item"))
        replies = item.get("replies")
        for reply in (replies.get("data") or []) if isinstance(replies, dict) else []:
            if isinstance(reply, dict):
                out.append(one(reply, "reply"))
    return out


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can pool connections
    disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms Nagle stall

    def do_POST(self) -> None:  # noqa: N802 (WeChat's datacube endpoints are POSTs with a JSON body)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(length)
        except ValueError:
            self.close_connection = True
            self._send(Response(400, {"error": "Content-Length must be a whole number of bytes"}))
            return
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        self._dispatch("POST", body if isinstance(body, dict) else {"__invalid_json__": True})

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("GET", None)

    def _dispatch(self, method: str, json_body: dict | None) -> None:
        url = urlsplit(self.path)
        _, _, rest = url.path.partition("/")
        platform, _, sub = rest.partition("/")
        handler = HANDLERS.get(platform)
        if handler is None:
            self._send(Response(404, {"error": f"unknown platform {platform!r}; try one of {sorted(HANDLERS)}"}))
            return
        host = self.headers.get("Host", f"{self.server.server_address[0]}:{self.server.server_address[1]}")
        req = Request(
            method=method,
            path="/" + sub,
            params=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            base_url=f"http://{host}/{platform}",
            json=json_body,
        )
        self.server.requests_served += 1
        api = self.server.platforms[platform]
        faults = self.server.faults
        try:
            resp = handler(api, req) if faults is None else faults.serve(platform, req, lambda: handler(api, req))
        except Exception:  # a bug in the demo must not look like a network fault: answer 500 and say so
            log.exception("demo %s handler failed on %s %s", platform, method, url.path)
            resp = Response(500, {"error": "the demo export API failed on this request (a demo bug)",
                                  "path": url.path})
        delivered = self._send(resp)
        ledger = self.server.ledger
        if ledger is not None and delivered and isinstance(resp, Response) and resp.status == 200:
            records = served_items(platform, req, resp.body)
            with self.server.ledger_lock:
                ledger.extend(records)

    def _send(self, resp: Response | RawResponse) -> bool:
        """Write the answer; True when all of it went out."""
        if getattr(resp, "hang_up", False):
            self.close_connection = True  # no status line, no body: the client sees a dropped connection
            return False
        payload = resp.encode()
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", getattr(resp, "content_type", "application/json; charset=utf-8"))
            self.send_header("Content-Length", str(len(payload)))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. timed out on a slow answer): nothing left to tell it.
            self.close_connection = True
            return False
        return True

    def log_message(self, fmt: str, *args: object) -> None:
        # Request lines carry access_token query parameters: never log them.
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    platforms: dict[str, Platform]
    requests_served: int = 0
    faults: FaultInjector | None = None
    ledger: list[ServedItem] | None = None  # what was delivered whole (DemoExportServer(ledger=True))
    ledger_lock: threading.Lock


class DemoExportServer:
    """Runs the demo API in a background thread; use as a context manager."""

    def __init__(self, world: World | None = None, host: str = "127.0.0.1", port: int = 0,
                 tokens: dict[str, str] | None = None, faults: FaultConfig | None = None, ledger: bool = False):
        world = world or default_world()
        tokens = tokens or {p: platform_settings(p).token for p in HANDLERS}
        if faults is not None and not set(faults.platforms) <= set(HANDLERS):
            raise FaultConfigError(f"faults for {sorted(set(faults.platforms) - set(HANDLERS))}, "
                                   f"which this server does not serve; it serves {sorted(HANDLERS)}")
        self._httpd = _Server((host, port), _Handler)
        self._httpd.platforms = {p: Platform(world=world, token=tokens[p]) for p in HANDLERS}
        self._httpd.faults = FaultInjector(faults) if faults is not None and faults.platforms else None
        self._httpd.ledger = [] if ledger else None
        self._httpd.ledger_lock = threading.Lock()
        # A short poll interval makes stop() quick; serving itself does not poll.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-export-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests_served(self) -> int:
        return self._httpd.requests_served

    @property
    def faults_injected(self) -> dict[str, dict[str, int]]:
        """Faults applied so far, ``{platform: {mode: count}}``; empty without faults."""
        return self._httpd.faults.injected if self._httpd.faults is not None else {}

    @property
    def served(self) -> list[ServedItem]:
        """Every record delivered whole so far (needs ``ledger=True``), in the order served."""
        if self._httpd.ledger is None:
            raise RuntimeError("this server keeps no ledger: start it with DemoExportServer(ledger=True)")
        with self._httpd.ledger_lock:
            return list(self._httpd.ledger)

    def base_url(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def start(self) -> "DemoExportServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "DemoExportServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=os.environ.get("KOL_DEMO_PRESET", "small"),
                        help="size of the demo world (default: $KOL_DEMO_PRESET or small)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("KOL_DEMO_SEED", "7")),
                        help="seed of the demo world (default: $KOL_DEMO_SEED or 7)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KOL_DEMO_PORT", "8765")))
    parser.add_argument("--faults", default=os.environ.get(ENV_FAULTS, ""), metavar="SPEC",
                        help=f"faults to inject, e.g. 'weibo:http_429=0.1,server_error=0.05;instagram:expired_token=1' "
                             f"(default: ${ENV_FAULTS}; see ingestion/demo/faults.py)")
    parser.add_argument("--fault-seed", default=os.environ.get(ENV_SEED, "0"), metavar="N",
                        help=f"seed of the fault sequence (default: ${ENV_SEED} or 0)")
    args = parser.parse_args()
    try:
        faults = FaultConfig.parse(args.faults, seed=parse_seed(args.fault_seed)) if args.faults.strip() else None
    except FaultConfigError as exc:
        parser.error(str(exc))
    # The connectors' demo roster reads the same variables, so both sides see one world.
    os.environ["KOL_DEMO_PRESET"], os.environ["KOL_DEMO_SEED"] = args.preset, str(args.seed)
    server = DemoExportServer(world=World(seed=args.seed, preset=args.preset), host=args.host, port=args.port,
                              faults=faults).start()
    print(f"demo export API listening on {server.url} (preset {args.preset}, seed {args.seed}; "
          f"platforms: {', '.join(HANDLERS)})", flush=True)
    if faults is not None:
        print(f"injecting faults (seed {faults.seed}): {faults}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
