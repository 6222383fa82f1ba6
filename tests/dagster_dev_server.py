"""`make dev` started for a test: the demo export API, the Dagster webserver and its daemon,
on free loopback ports, with a DAGSTER_HOME and a data directory of the test's own."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DagsterDev:
    url: str  # the UI, e.g. http://127.0.0.1:PORT
    home: Path  # DAGSTER_HOME
    data: Path  # KOL_DATA_DIR: the lake and the warehouse
    log: Path  # everything `dagster dev` and the demo API printed

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextmanager
def dagster_dev(tmp_path: Path, env: dict[str, str] | None = None, instance_yaml: str = "",
                startup_timeout_s: float = 180) -> Iterator[DagsterDev]:
    """Start ``python -m orchestration.dev`` and wait until its GraphQL endpoint answers. The
    instance is orchestration/dagster.yaml plus ``instance_yaml``. The KOL_ settings of the test
    process are dropped (they point at the suite's own demo API and data), then ``env`` is
    applied on top. Stopped with its whole process group."""
    ui_port, api_port = free_port(), free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "orchestration" / "dagster.yaml").read_text() + "\n" + instance_yaml)
    data = tmp_path / "data"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KOL_")}
    full_env |= {"DAGSTER_HOME": str(home), "KOL_DATA_DIR": str(data), "KOL_DEMO_PORT": str(api_port),
                 "KOL_DAGSTER_PORT": str(ui_port)}
    full_env |= env or {}
    log_path = tmp_path / "dev.log"
    log = open(log_path, "w")
    # A session of its own: `dagster dev` starts the webserver, the daemon and code servers as
    # children, and only a signal to the whole group stops them all.
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.dev"], cwd=ROOT, env=full_env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = DagsterDev(url=f"http://127.0.0.1:{ui_port}", home=home, data=data, log=log_path)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            try:
                if requests.post(server.graphql, json={"query": "{ version }"}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, server.log_tail(3000)
            time.sleep(1)
        yield server
    finally:
        # orchestration.dev runs `dagster dev` and the demo API in sessions of their own: note
        # their groups now, to sweep what a slow or failed shutdown leaves behind.
        groups = _descendant_groups(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [g for g in groups if _group_alive(g)]
            for group in alive:
                os.killpg(group, sig)
            deadline = time.monotonic() + 20
            while alive and time.monotonic() < deadline and any(_group_alive(g) for g in alive):
                time.sleep(0.5)
        log.close()


def _descendant_groups(pid: int) -> set[int]:
    """Process groups of every live descendant of ``pid`` (Linux /proc), except the test's own."""
    children: dict[int, list[int]] = {}
    pgid_of: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces: the fields after its closing parenthesis are fixed.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(child)
        pgid_of[child] = int(fields[2])
    todo, groups = [pid], set()
    while todo:
        for child in children.get(todo.pop(), []):
            groups.add(pgid_of[child])
            todo.append(child)
    return groups - {os.getpgrp()}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
