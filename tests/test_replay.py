"""Raw answers kept beside the landed data: a day re-normalised without the platform."""
import gzip
from datetime import date

import pyarrow.parquet as pq
import pytest

from ingestion import replay
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.pull import CONNECTORS, pull_platform_day, replay_platform_day
from ingestion.schemas import CONNECTED_PLATFORMS, ENTITIES
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DAY = date(2026, 11, 20)


def _slices(lake, platform):
    return {e: pq.read_table(lake / "raw" / platform / e / f"dt={DAY}" / "data.parquet") for e in ENTITIES}


def _tables(lake, platform):
    """The slices' content: a replay lands the same rows again, at a later _loaded_at."""
    return {e: t.drop_columns([LOADED_AT_COLUMN]).to_pylist() for e, t in _slices(lake, platform).items()}


def _loaded_at(lake, platform):
    """The one _loaded_at of each slice."""
    return {e: set(t.column(LOADED_AT_COLUMN).to_pylist()) for e, t in _slices(lake, platform).items()}


@pytest.mark.parametrize("platform", CONNECTED_PLATFORMS)
def test_a_day_replays_to_the_same_slices_with_the_platform_gone(tmp_path, platform):
    accounts = [k.account_id for k in default_world().kols(platform)[:3]]
    with DemoExportServer(tokens=TOKENS) as server:
        cfg = PlatformSettings(platform, server.base_url(platform), TOKENS[platform])
        pulled = pull_platform_day(platform, DAY, lake=tmp_path, settings=cfg, accounts=accounts)
        served = server.requests_served
    before, pulled_at = _tables(tmp_path, platform), _loaded_at(tmp_path, platform)
    recorded = replay.responses_path(tmp_path, platform, DAY)
    assert recorded.exists() and TOKENS[platform].encode() not in recorded.read_bytes()
    for entity in ENTITIES:  # a crash, a bad deploy: the slices are gone
        (tmp_path / "raw" / platform / entity / f"dt={DAY}" / "data.parquet").unlink()
    # The server is stopped: a replay that tried the network would fail.
    replayed = replay_platform_day(platform, DAY, lake=tmp_path)
    assert _tables(tmp_path, platform) == before
    replayed_at = _loaded_at(tmp_path, platform)
    for entity in ENTITIES:  # the same rows, landed again, later
        assert len(replayed_at[entity]) <= 1, entity
        assert all(again > pulled for again in replayed_at[entity] for pulled in pulled_at[entity]), entity
    assert [(r.entity, r.fetched, r.landed) for r in replayed] == [(r.entity, r.fetched, r.landed) for r in pulled]
    header, calls = replay.load(tmp_path, platform, DAY)
    assert header["accounts"] == accounts and sum(1 for _ in calls) == served


def test_a_parser_fix_reaches_the_slices_through_a_replay(tmp_path, monkeypatch):
    accounts = [k.account_id for k in default_world().kols("weibo")[:2]]
    with DemoExportServer(tokens=TOKENS) as server:
        pull_platform_day("weibo", DAY, lake=tmp_path, accounts=accounts,
                          settings=PlatformSettings("weibo", server.base_url("weibo"), TOKENS["weibo"]))
    normalizers = dict(CONNECTORS["weibo"][1])
    fixed = normalizers["posts"]
    normalizers["posts"] = lambda p, ctx: fixed(p, ctx) | {"text": (p.get("text") or "").upper()}
    monkeypatch.setitem(CONNECTORS, "weibo", (CONNECTORS["weibo"][0], normalizers))
    replay_platform_day("weibo", DAY, lake=tmp_path)
    texts = [r["text"] for r in _tables(tmp_path, "weibo")["posts"]]
    assert texts and all(t == t.upper() for t in texts)


def test_recorded_answers_are_unreadable_without_the_key(tmp_path, monkeypatch):
    accounts = [k.account_id for k in default_world().kols("instagram")[:1]]
    with DemoExportServer(tokens=TOKENS) as server:
        pull_platform_day("instagram", DAY, lake=tmp_path, accounts=accounts,
                          settings=PlatformSettings("instagram", server.base_url("instagram"), TOKENS["instagram"]))
    data = replay.responses_path(tmp_path, "instagram", DAY).read_bytes()
    with pytest.raises(OSError):
        gzip.decompress(data)  # not a readable archive: encrypted
    monkeypatch.setenv(replay.ENV_KEY, "another key")
    with pytest.raises(PermissionError, match="KOL_RAW_RESPONSES_KEY"):
        replay_platform_day("instagram", DAY, lake=tmp_path)
