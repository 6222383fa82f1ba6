"""Shared fixtures: a real demo export API on a loopback port, and a private data
directory, both set in the environment before any project module reads it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# The analysts' demo warehouse, built once per session for the CLI and the guide's queries.
pytest_plugins = ["tests.analyst_fixtures"]

# Known secret values: tests can look for them in every output.
TOKENS = {"weibo": "wb-secret-token-3f9a1c", "douyin": "dy-secret-token-0b5e41", "xiaohongshu": "xhs-secret-cookie-9c2d7a",
          "bilibili": "bili-secret-sessdata-4e8f13", "wechat": "wx-secret-token-61a0c9",
          "instagram": "ig-secret-token-77d0e2", "tiktok": "tt-secret-token-d3f582", "youtube": "yt-secret-key-a91b06",
          "x": "x-secret-bearer-5c7e2f"}

_DATA_DIR = Path(tempfile.mkdtemp(prefix="kol-test-"))
os.environ["KOL_DATA_DIR"] = str(_DATA_DIR)
os.environ["KOL_LAKE_DIR"] = str(_DATA_DIR / "lake")
os.environ["KOL_WAREHOUSE_PATH"] = str(_DATA_DIR / "warehouse.duckdb")
for _platform, _token in TOKENS.items():
    os.environ[f"KOL_{_platform.upper()}_ACCESS_TOKEN"] = _token


@pytest.fixture(scope="session")
def demo_api():
    from ingestion.demo.server import DemoExportServer

    with DemoExportServer(tokens=TOKENS) as server:
        for platform in TOKENS:
            os.environ[f"KOL_{platform.upper()}_BASE_URL"] = server.base_url(platform)
        yield server


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def land_and_build(data: Path, platforms, last, days: int, dbt_args: list[str], *,
                   before_build=None) -> tuple[Path, list[dict]]:
    """Land ``days`` days up to ``last`` of ``platforms`` from the demo export API into
    ``data/lake``, then run ``dbt build`` with ``dbt_args`` into ``data/warehouse.duckdb``
    (target and logs under ``data``, never in the source tree). ``before_build``, if given, is
    called with the lake after the pulls and before dbt (e.g. to land file drops through the
    inbox). Returns the warehouse and dbt's run results; a failed build fails the caller with
    dbt's output."""
    import json
    import subprocess
    import sys
    from datetime import timedelta

    from ingestion.pull import pull_platform_day

    lake = data / "lake"
    for i in range(days):
        for platform in platforms:
            pull_platform_day(platform, last - timedelta(days=i), lake=lake)
    if before_build is not None:
        before_build(lake)
    env = os.environ | {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
                        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, "build", *dbt_args, "--target-path", str(data / "target"),
                           "--log-path", str(data / "logs")],
                          cwd=Path(__file__).resolve().parents[1] / "dbt_project", env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return data / "warehouse.duckdb", json.loads((data / "target" / "run_results.json").read_text())["results"]
