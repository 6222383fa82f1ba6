"""The data contract beyond types: pseudonymised followers and commenters, new fields kept
in _extras and reported, over real HTTP from the demo API."""
import json
from datetime import date

import pyarrow.parquet as pq
import pytest

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.privacy import pseudonymise
from ingestion.pull import pull_platform_day
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
COMMENTER = {"weibo": ("user_id", "screen_name"), "instagram": ("from_id", "username")}
FOLLOWER = {"weibo": ("id", "screen_name"), "instagram": ("id", "username")}


def _accounts(platform):
    return [k.account_id for k in default_world().kols(platform)[:4]]


def _pull(platform, lake, spec=""):
    faults = FaultConfig.parse(spec, seed=1) if spec else None
    with DemoExportServer(tokens=TOKENS, faults=faults) as server:
        cfg = PlatformSettings(platform, server.base_url(platform), TOKENS[platform])
        return {r.entity: r for r in pull_platform_day(platform, DAY, lake=lake, settings=cfg,
                                                       accounts=_accounts(platform))}


def _rows(lake, platform, entity):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / platform / entity / f"dt={DAY}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_no_raw_follower_or_commenter_id_or_handle_lands_anywhere(tmp_path, platform):
    lake = tmp_path / "lake"
    _pull(platform, lake, f"{platform}:schema_drift=0.2,drift=missing_field")  # some quarantine too
    world = default_world()
    raw_people = set()
    for kol in world.kols(platform)[:4]:
        for f in world.audience_pool(kol):
            raw_people.update({f.account_id, f.handle})
    raw_people -= {k.account_id for k in world.kols(platform)} | {k.handle for k in world.kols(platform)}
    found = []
    for path in lake.rglob("*"):
        if path.is_file():
            text = (str(pq.read_table(path).to_pylist()) if path.suffix == ".parquet"
                    else path.read_text(encoding="utf-8"))
            found += [(path.name, p) for p in raw_people if p in text]
    assert not found, found[:5]


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_pseudonyms_are_stable_and_kols_keep_their_names(tmp_path, platform):
    lake = tmp_path / "lake"
    _pull(platform, lake)
    id_col, handle_col = COMMENTER[platform]
    comments = _rows(lake, platform, "comments")
    kols = set(_accounts(platform))
    followers = [c for c in comments if c[id_col] not in kols]
    replies = [c for c in comments if c[id_col] in kols]
    assert followers and all(c[id_col].startswith("p_") and c[handle_col].startswith("p_") for c in followers)
    if platform == "weibo":  # the Eastern KOLs answer; their replies keep the KOL's id for the reply rate
        assert replies and all(not c[handle_col].startswith("p_") for c in replies)
    # the same person gets the same pseudonym in every row and in the audience slice
    authors = [c[id_col] for c in followers]
    assert len(set(authors)) < len(authors), "repeat commenters stay countable"
    world = default_world()
    one = world.audience_sample(world.kol(_accounts(platform)[0]), DAY)[0]
    audience = _rows(lake, platform, "audience")
    fid, fhandle = FOLLOWER[platform]
    assert pseudonymise(one.account_id, platform) in {a[fid] for a in audience}
    row = next(a for a in audience if a[fid] == pseudonymise(one.account_id, platform))
    # what later rules need from the handle is derived before it goes
    assert row[f"{fhandle}_length"] == len(one.handle)
    assert row[f"{fhandle}_digit_count"] == sum(ch.isdigit() for ch in one.handle)


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_a_new_field_is_kept_in_extras_and_reported(tmp_path, platform):
    lake = tmp_path / "lake"
    reports = _pull(platform, lake, f"{platform}:schema_drift=1,drift=new_field")
    name = {"weibo": "region_name", "instagram": "is_shared_to_feed"}[platform]
    manifest = json.loads((lake / "raw" / platform / "post_metrics" / f"dt={DAY}" / "_manifest.json").read_text())
    assert manifest["new_fields"][name] == reports["post_metrics"].landed + reports["post_metrics"].duplicates
    rows = _rows(lake, platform, "post_metrics")
    assert rows and all(name in json.loads(r["_extras"]) for r in rows)
    assert reports["post_metrics"].quarantined == 0
