"""The Xiaohongshu (RED) connector against the demo export API over real HTTP: every entity
lands with balanced accounting and agrees with the demo world; RED's display-string counts
("1.2万", "3,456", "2.5k", "10万+", "未知"), its cookie and signature, errors in HTTP 200
bodies and every fault mode are handled."""
import json
import logging
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ingestion.http as http_module
from ingestion import landing, pull, schemas
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo import xiaohongshu_api
from ingestion.demo.api_common import display_count_cn, end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError
from ingestion.platforms.base import RawRecord, day_bounds, lookback_window_start, tracking_window_start
from ingestion.platforms.xiaohongshu import client, normalize, schema
from ingestion.privacy import pii_kind, pseudonymise
from ingestion.quirks import parse_count
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "xiaohongshu"
DAY = date(2026, 11, 20)
N = 6  # accounts per pull: enough for every display style of a count, "未知" included
COUNTERS = (("liked_count", "likes", "liked"), ("collected_count", "saves", "collected"),
            ("comment_count", "comments", "comment"), ("share_count", "shares", "share"))


@pytest.fixture(scope="module", autouse=True)
def connected():
    """RED as the pull sees it once listed in CONNECTED_PLATFORMS; retries that wait ms."""
    with pytest.MonkeyPatch.context() as mp:
        if P not in pull.CONNECTORS:
            mp.setitem(schemas.SCHEMAS, P, schema.SCHEMAS)
            mp.setitem(schemas.NATURAL_KEYS, P, schema.NATURAL_KEYS)
            mp.setattr(landing, "PLATFORMS", landing.PLATFORMS + (P,))
            mp.setitem(pull.CONNECTORS, P, (client.CONNECTOR, normalize.NORMALIZERS))
            if hasattr(pull, "KNOWN_FIELDS"):
                mp.setitem(pull.KNOWN_FIELDS, P, normalize.KNOWN_FIELDS)
        mp.setattr(http_module, "BACKOFF_BASE_S", 0.001)
        yield


def _kols(n=N):
    return default_world().kols(P)[:n]


def _pull(lake, spec="", server=None, day=DAY, n=N, token=None, **settings):
    def run(srv):
        cfg = PlatformSettings(P, srv.base_url(P), TOKENS[P] if token is None else token, **settings)
        reports = pull.pull_platform_day(P, day, lake=lake, settings=cfg, accounts=[k.account_id for k in _kols(n)])
        return {r.entity: r for r in reports}

    if server is not None:
        return run(server), {}
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=3) if spec else None) as srv:
        return run(srv), srv.faults_injected.get(P, {})


def _rows(lake, entity, day=DAY):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / P / entity / f"dt={day}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


def _same_person(landed: str, raw: str) -> bool:
    return landed in (raw, pseudonymise(raw, P))


@pytest.fixture(scope="module")
def clean(demo_api, tmp_path_factory):
    lake = tmp_path_factory.mktemp("xiaohongshu") / "lake"
    reports, _ = _pull(lake, server=demo_api)
    return lake, reports


# --------------------------------------------------------------------------- the clean day

def test_a_day_lands_every_entity_with_balanced_accounting(clean):
    lake, reports = clean
    assert list(reports) == list(ENTITIES)
    for entity, r in reports.items():
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        assert pq.read_table(r.path).schema.equals(schema_for(P, entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]


def test_display_counts_land_as_integers_and_unknown_as_null(clean):
    lake, _ = clean
    world = default_world()
    as_of = end_of(DAY)
    assert pq.read_table(lake / "raw" / P / "post_metrics" / f"dt={DAY}" / "data.parquet").schema.field(
        "liked_count").type == pa.int64()
    styles, unknown = set(), 0
    for row in _rows(lake, "post_metrics"):
        post = world.post(row["note_id"], P)
        c = world.counters(post, as_of)
        for column, attr, salt in COUNTERS:
            shown = xiaohongshu_api.display_count(getattr(c, attr), post.post_id, salt)
            # What RED showed, as a number: exact, or to the display's precision, or null for "未知".
            assert row[column] == parse_count(shown), (column, shown)
            if shown == "未知":
                assert row[column] is None
                unknown += 1
            styles.update(s for s in ("k", "万", ",") if s in shown)
    assert unknown > 0 and styles >= {"k", ","}, (unknown, styles)


def test_landed_rows_agree_with_the_demo_world(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end) = end_of(DAY), day_bounds(DAY)
    look, track = lookback_window_start(DAY), tracking_window_start(DAY)
    profiles = {r["user_id"]: r for r in _rows(lake, "profiles")}
    posts = {r["note_id"]: r for r in _rows(lake, "posts")}
    metrics = {r["note_id"]: r for r in _rows(lake, "post_metrics")}
    comments = {r["id"]: r for r in _rows(lake, "comments")}
    audience = _rows(lake, "audience")
    for kol in _kols():
        profile = profiles[kol.account_id]
        assert profile["nickname"] == kol.handle
        assert profile["fans"] == parse_count(display_count_cn(world.followers_on(kol, DAY)))
        assert profile["follows"] == world.following_on(kol, DAY)
        tracked = world.posts_between(kol, track.date(), DAY)
        assert {i for i, r in posts.items() if r["user_id"] == kol.account_id} == \
            {p.post_id for p in tracked if p.created_at >= look}
        assert {i for i, r in metrics.items() if r["user_id"] == kol.account_id} == {p.post_id for p in tracked}
        for post in tracked:
            if post.post_id in posts:
                assert posts[post.post_id]["time"] == post.created_at and post.text == posts[post.post_id]["desc"]
        expected = [c for p in tracked for c in world.comments_on(p, as_of) if look <= c.created_at < end]
        assert {xiaohongshu_api.comment_id(c.comment_id) for c in expected} == \
            {i for i, r in comments.items() if r["note_user_id"] == kol.account_id}
        sample = world.audience_sample(kol, DAY)
        landed = [r for r in audience if r["followed_user_id"] == kol.account_id]
        assert len(landed) == len(sample)
        assert all(any(_same_person(r["user_id"], f.account_id) for r in landed) for f in sample)
        by_id = {r["user_id"]: r for r in landed}
        for f in sample:
            row = by_id.get(f.account_id) or by_id[pseudonymise(f.account_id, P)]
            assert (row["fans"], row["notes"]) == (parse_count(display_count_cn(f.followers)),
                                                   parse_count(display_count_cn(f.posts)))
            assert row["create_time"] == f.created_at


def test_the_authors_replies_point_at_the_comment_they_answer(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end), look = end_of(DAY), day_bounds(DAY), lookback_window_start(DAY)
    comments = {r["id"]: r for r in _rows(lake, "comments")}
    replies = [(kol, c) for kol in _kols() for p in world.posts_between(kol, DAY - timedelta(days=6), DAY)
               for c in world.comments_on(p, as_of) if c.author is None and look <= c.created_at < end]
    assert replies, "the Eastern creators answer their commenters"
    for kol, reply in replies:
        row = comments[xiaohongshu_api.comment_id(reply.comment_id)]
        assert row["user_id"] == kol.account_id and row["nickname"] == kol.handle and row["is_author"]
        assert row["target_comment_id"] == row["root_comment_id"] == xiaohongshu_api.comment_id(reply.reply_to_id)
    roots = [r for r in comments.values() if r["root_comment_id"] is None]
    assert roots and all(r["user_id"].startswith("p_") and not r["is_author"] for r in roots)


def test_the_real_sites_bare_note_list_is_completed_from_each_notes_card(clean, demo_api, tmp_path, monkeypatch):
    """The real user_posted list has no time and only liked_count: the card from feed fills in."""
    lake, _ = clean
    real_pages = client.XiaohongshuConnector._pages
    feeds = []

    def bare(self, path, params, items_key, num, cursor=""):
        for items in real_pages(self, path, params, items_key, num, cursor):
            if path.endswith("/user_posted"):
                items = [{k: v for k, v in n.items() if k not in ("time", "desc")}
                         | {"interact_info": {"liked": False, "liked_count": n["interact_info"]["liked_count"]}}
                         for n in items]
            yield items

    real_data = client.XiaohongshuConnector._data

    def spy(self, method, path, params, body=None):
        if path.endswith("/feed"):
            feeds.append(body["source_note_id"])
        return real_data(self, method, path, params, body)

    monkeypatch.setattr(client.XiaohongshuConnector, "_pages", bare)
    monkeypatch.setattr(client.XiaohongshuConnector, "_data", spy)
    _pull(tmp_path, server=demo_api)
    assert len(feeds) == len(set(feeds)) == len(_rows(lake, "post_metrics"))
    for entity in ("posts", "post_metrics"):
        assert _rows(tmp_path, entity) == _rows(lake, entity), entity


def test_a_notes_time_comes_from_its_id_when_the_list_has_none():
    post = default_world().posts_between(_kols(1)[0], DAY - timedelta(days=6), DAY)[0]
    assert client.note_id_time(post.post_id) == post.created_at.replace(microsecond=0)
    assert client.note_id_time("not-a-note-id") is None and client.note_id_time(None) is None


# --------------------------------------------------------------------------- a hostile platform

def test_repeated_items_are_counted_as_duplicates_and_land_once(clean, tmp_path):
    lake, _ = clean
    reports, injected = _pull(tmp_path, f"{P}:duplicate_items=1")
    assert injected["duplicate_items"] > 0 and sum(r.duplicates for r in reports.values()) > 0
    for entity, r in reports.items():
        assert r.balanced and _rows(tmp_path, entity) == _rows(lake, entity), entity


@pytest.mark.parametrize("spec", ["throttle_in_200=0.2,throttle_code=300012", "throttle_in_200=0.2",
                                  "http_429=0.2,retry_after=0", "server_error=0.1,burst=2", "truncated=0.1"])
def test_throttles_outages_and_cut_bodies_are_retried_and_the_day_lands_whole(clean, tmp_path, spec):
    lake, _ = clean
    _, injected = _pull(tmp_path, f"{P}:{spec}", retries=6)
    assert sum(injected.values()) > 0
    for entity in ENTITIES:
        assert _rows(tmp_path, entity) == _rows(lake, entity), entity


@pytest.mark.parametrize("spec, kind", [("throttle_in_200=1", "throttle"), ("server_error=1", "transient"),
                                        ("truncated=1", "transient")])
def test_faults_that_do_not_pass_fail_with_their_kind_and_land_nothing(tmp_path, spec, kind):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:{spec}", n=1, retries=2)
    assert err.value.kind == kind and not (tmp_path / "raw").exists()


def test_an_expired_missing_or_wrong_session_is_an_auth_error_that_names_the_variable(demo_api, tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:expired_token=1", n=1)
    assert err.value.kind == "auth" and "KOL_XIAOHONGSHU_ACCESS_TOKEN" in str(err.value) and "-100" in str(err.value)
    bad = "xhs-wrong-session-must-not-leak"
    for token, code in ((bad, "-100"), ("", "-101")):
        with pytest.raises(PlatformError) as err:
            _pull(tmp_path, server=demo_api, n=1, token=token)
        assert err.value.kind == "auth" and code in str(err.value) and "KOL_XIAOHONGSHU_ACCESS_TOKEN" in str(err.value)
        assert bad not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_an_unsigned_request_is_refused_as_auth_not_retried(demo_api, tmp_path, monkeypatch):
    monkeypatch.setattr(client, "SIGNER", lambda path, body: {})
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, server=demo_api, n=1)
    assert err.value.kind == "auth" and "300015" in str(err.value) and "signer" in str(err.value)


def test_a_retry_after_beyond_the_cap_fails_fast(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:http_429=1,retry_after=7200", n=1, retry_after_max_s=30)
    assert err.value.kind == "throttle" and "7200" in str(err.value)


def test_schema_drift_loses_nothing_and_new_fields_are_kept(clean, tmp_path):
    lake, clean_reports = clean
    reports, injected = _pull(tmp_path, f"{P}:schema_drift=0.5")
    assert injected["schema_drift"] > 0
    for entity, r in reports.items():
        assert r.balanced and r.landed + r.quarantined == clean_reports[entity].landed, entity
    new = {}
    for entity in ENTITIES:
        manifest = json.loads((tmp_path / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        new.update(manifest["new_fields"])
    assert new.get("sticky", 0) > 0


def test_late_rows_are_caught_by_the_next_days_lookback_and_land_once(tmp_path):
    def ids(lake, entity, day):
        key = schema.NATURAL_KEYS[entity][0]
        return {r[key] for r in _rows(lake, entity, day)}

    _pull(tmp_path / "clean", day=DAY)
    _, injected = _pull(tmp_path / "late", f"{P}:late_rows=0.5", day=DAY)
    assert injected["late_rows"] > 0
    nxt = DAY + timedelta(days=1)
    _pull(tmp_path / "clean", day=nxt)
    _pull(tmp_path / "late", day=nxt)  # the platform now shows yesterday's late rows
    for entity in ("posts", "comments"):
        held, caught = ids(tmp_path / "late", entity, DAY), ids(tmp_path / "late", entity, nxt)
        missing = ids(tmp_path / "clean", entity, DAY) - held
        assert missing and missing <= caught, entity
        assert not held & caught, entity
        assert held | caught == ids(tmp_path / "clean", entity, DAY) | ids(tmp_path / "clean", entity, nxt)


def test_no_token_and_no_raw_follower_lands_in_files_logs_or_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _pull(tmp_path, f"{P}:throttle_in_200=0.1,duplicate_items=0.3,schema_drift=0.3")
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path / "failed", f"{P}:expired_token=1", n=1)
    world = default_world()
    people = {x for kol in _kols() for f in world.audience_pool(kol) for x in (f.account_id, f.handle)}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert TOKENS[P].encode() not in data, path
        text = str(pq.read_table(path).to_pylist()) if path.suffix == ".parquet" else data.decode("utf-8")
        assert not [p for p in people if p in text], path
    assert TOKENS[P] not in caplog.text and TOKENS[P] not in str(err.value)


# --------------------------------------------------------------------------- the contract and the normalisers

def test_the_schema_marks_followers_and_commenters_for_pseudonymisation():
    marked = {(e, f.name): pii_kind(f) for e, s in schema.SCHEMAS.items() for f in s if pii_kind(f)}
    assert marked == {("comments", "user_id"): "id", ("comments", "nickname"): "handle",
                      ("audience", "user_id"): "id", ("audience", "nickname"): "handle",
                      ("audience", "images"): "url"}


def test_records_that_do_not_parse_are_quarantined_with_the_reason():
    ctx = {"snapshot_date": "2026-11-20", "user_id": "u1"}
    good = {"note_id": "6aff409000000000f4ac3607", "time": 1795113104000, "user": {"user_id": "u1"},
            "interact_info": {"liked_count": "10万+", "collected_count": "3,456", "comment_count": "2.5k",
                              "share_count": "未知"}}
    records = [RawRecord(good, ctx), RawRecord(dict(good), ctx),
               RawRecord(good | {"note_id": "6aff409000000000f4ac3608", "time": 1795113104}, ctx),
               RawRecord(good | {"note_id": "6aff409000000000f4ac3609",
                                 "interact_info": {"liked_count": "很多"}}, ctx)]
    table, quarantined, duplicates = landing.normalize(P, "post_metrics", records, normalize.post_metrics)
    assert table.num_rows == 2 and duplicates == 1 and len(quarantined) == 1  # metrics need no time
    row = table.to_pylist()[0]
    assert (row["liked_count"], row["collected_count"], row["comment_count"], row["share_count"]) == \
        (100_000, 3_456, 2_500, None)
    assert "not a count" in quarantined[0]["reason"]
    table, quarantined, _ = landing.normalize(P, "posts", records[2:3], normalize.posts)
    assert table.num_rows == 0 and "outside 2000..2100" in quarantined[0]["reason"]  # seconds where RED sends ms
