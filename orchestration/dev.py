"""`make dev`: the demo export API plus the Dagster UI and daemon, stopped together by Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from ingestion import settings
from orchestration.demo_api import demo_api_process


def main() -> None:
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
            proc.wait()
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
