"""Shared fixtures: a real demo export API on a loopback port, and a private data
directory, both set in the environment before any project module reads it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

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
