"""`make dev`: the demo export API plus the Dagster UI and daemon, stopped together by Ctrl-C.

The daemon runs the nightly schedule and the inbox sensor: a file dropped in the inbox
(``KOL_INBOX_DIR``) is landed, and the marts of its days rebuilt, within a minute.
``python -m orchestration.dev --drop-demo-exports N`` also drops the demo world's dashboard
exports and commerce files of the last N days there once the UI is up, to watch the sensor
at work (the days' API slices should be landed first, e.g. by ``make demo``).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import requests

from ingestion import settings
from orchestration.demo_api import demo_api_process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drop-demo-exports", type=int, default=0, metavar="N",
                        help="drop the demo world's file exports of the last N finished days in the inbox")
    args = parser.parse_args(argv)

    from dagster import DagsterInstance

    from ingestion.pull import CONNECTORS
    from orchestration.pools import declare_pool_limits

    with DagsterInstance.get() as instance:
        declare_pool_limits(instance, list(CONNECTORS))
    with demo_api_process():
        # Own process group, so one signal stops the webserver, the daemon and their children.
        proc = subprocess.Popen([sys.executable, "-m", "dagster", "dev", "-w", str(settings.REPO_ROOT / "workspace.yaml"),
                                 "-h", "127.0.0.1", "-p", os.environ.get("KOL_DAGSTER_PORT", "3000")],
                                start_new_session=True)
        try:
            inbox = settings.inbox_dir()
            inbox.mkdir(parents=True, exist_ok=True)
            print(f"inbox: {inbox} (files dropped there are landed by inbox_sensor)", flush=True)
            if args.drop_demo_exports > 0:
                _drop_when_up(proc, inbox, args.drop_demo_exports)
            proc.wait()
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _drop_when_up(proc: subprocess.Popen, inbox, days: int) -> None:
    from orchestration.demo import drop_demo_exports

    # Dropped before the daemon runs, the files would wait for its first tick all the same; waiting for the
    # webserver only makes the sensor's first run show up while someone is looking.
    port = os.environ.get("KOL_DAGSTER_PORT", "3000")
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        time.sleep(1)
    last = datetime.now(timezone.utc).date() - timedelta(days=1)
    count = drop_demo_exports(inbox, last - timedelta(days=days - 1), last)
    print(f"dropped {count} demo export files in {inbox}; the inbox sensor picks them up within 30 s", flush=True)


if __name__ == "__main__":
    main()
