"""Start the demo export API as its own process, or reuse one that already answers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from ingestion import settings


def _answers(port: int) -> bool:
    try:
        # Any JSON answer from the Weibo prefix means the demo API is up.
        requests.get(f"http://127.0.0.1:{port}/weibo/2/users/show.json", timeout=0.5).json()
        return True
    except (requests.RequestException, ValueError):
        return False


@contextmanager
def demo_api_process():
    port = settings.demo_port()
    if _answers(port):
        yield None  # already running (for example under `make dev`): share it
        return
    proc = subprocess.Popen([sys.executable, "-m", "ingestion.demo.server", "--port", str(port)],
                            start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo export API did not start on port {port} "
                                   f"(is the port taken? set KOL_DEMO_PORT to another one)")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
