"""The demo export API: every demo platform behind one loopback HTTP server.

    python -m ingestion.demo.server --port 8765

serves ``/weibo/2/...`` and ``/instagram/v21.0/...``. Tokens are the same
environment variables the connectors read (``KOL_WEIBO_ACCESS_TOKEN``, ...), so a
demo run and the server agree without a token ever being written down twice.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ingestion.demo import instagram_api, weibo_api
from ingestion.demo.api_common import Platform, Request, Response
from ingestion.demo.world import World, default_world
from ingestion.settings import platform_settings

log = logging.getLogger(__name__)

HANDLERS = {"weibo": weibo_api.handle, "instagram": instagram_api.handle}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can pool connections
    disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms Nagle stall

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        _, _, rest = url.path.partition("/")
        platform, _, sub = rest.partition("/")
        handler = HANDLERS.get(platform)
        if handler is None:
            self._send(Response(404, {"error": f"unknown platform {platform!r}; try one of {sorted(HANDLERS)}"}))
            return
        host = self.headers.get("Host", f"{self.server.server_address[0]}:{self.server.server_address[1]}")
        req = Request(
            method="GET",
            path="/" + sub,
            params=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            base_url=f"http://{host}/{platform}",
        )
        self.server.requests_served += 1
        self._send(handler(self.server.platforms[platform], req))

    def _send(self, resp: Response) -> None:
        payload = resp.encode()
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt: str, *args: object) -> None:
        # Request lines carry access_token query parameters: never log them.
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    platforms: dict[str, Platform]
    requests_served: int = 0


class DemoExportServer:
    """Runs the demo API in a background thread; use as a context manager."""

    def __init__(self, world: World | None = None, host: str = "127.0.0.1", port: int = 0,
                 tokens: dict[str, str] | None = None):
        world = world or default_world()
        tokens = tokens or {p: platform_settings(p).token for p in HANDLERS}
        self._httpd = _Server((host, port), _Handler)
        self._httpd.platforms = {p: Platform(world=world, token=tokens[p]) for p in HANDLERS}
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-export-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests_served(self) -> int:
        return self._httpd.requests_served

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
    parser.add_argument("--port", type=int, default=int(os.environ.get("KOL_DEMO_PORT", "8765")))
    args = parser.parse_args()
    server = DemoExportServer(host=args.host, port=args.port).start()
    print(f"demo export API listening on {server.url} (platforms: {', '.join(HANDLERS)})", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
