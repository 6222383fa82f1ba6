"""The Bilibili connector against the demo export API over real HTTP: every entity lands with
balanced accounting and agrees with the demo world; Bilibili's quirks (errors in HTTP 200
bodies, page numbers that end on a short page whatever page.count says, WBI-signed queries,
"MM:SS" lengths) and every fault mode are handled."""
import json
import logging
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ingestion.http as http_module
from ingestion import landing, pull, schemas
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.api_common import end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError
from ingestion.platforms.base import RawRecord, day_bounds, lookback_window_start, tracking_window_start
from ingestion.platforms.bilibili import client, normalize, schema
from ingestion.privacy import pii_kind, pseudonymise
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "bilibili"
DAY = date(2026, 11, 20)
N = 3


@pytest.fixture(scope="module", autouse=True)
def connected():
    """Bilibili as the pull sees it once listed in CONNECTED_PLATFORMS; retries that wait ms."""
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
        cfg = PlatformSettings(P, srv.base_url(P), token or TOKENS[P], **settings)
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


@pytest.fixture(scope="module")
def clean(demo_api, tmp_path_factory):
    lake = tmp_path_factory.mktemp("bilibili") / "lake"
    reports, _ = _pull(lake, server=demo_api)
    return lake, reports


@pytest.fixture
def paths(monkeypatch):
    """Every request the connector makes: (path, query)."""
    seen = []
    real = http_module.PlatformHttp.request

    def spy(self, method, path, params=None, *args, **kwargs):
        seen.append((path, dict(params or {})))
        return real(self, method, path, params, *args, **kwargs)

    monkeypatch.setattr(http_module.PlatformHttp, "request", spy)
    return seen


# --------------------------------------------------------------------------- the clean day

def test_a_day_lands_every_entity_with_balanced_accounting(clean):
    lake, reports = clean
    assert list(reports) == list(ENTITIES)
    for entity, r in reports.items():
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        assert pq.read_table(r.path).schema.equals(schema_for(P, entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]


def test_int_ids_land_as_strings_and_times_in_utc(clean):
    lake, _ = clean
    for entity, key in (("posts", "aid"), ("comments", "rpid"), ("audience", "mid"), ("profiles", "mid")):
        table = pq.read_table(lake / "raw" / P / entity / f"dt={DAY}" / "data.parquet")
        assert table.schema.field(key).type == pa.string()
        for field in table.schema:
            if pa.types.is_timestamp(field.type):
                assert field.type.tz == "UTC"
    _, end = day_bounds(DAY)
    look = lookback_window_start(DAY)
    assert all(look <= r["created"] < end for r in _rows(lake, "posts"))
    assert all(look <= r["ctime"] < end for r in _rows(lake, "comments"))


def test_landed_rows_agree_with_the_demo_world(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end) = end_of(DAY), day_bounds(DAY)
    look, track = lookback_window_start(DAY), tracking_window_start(DAY)
    profiles = {r["mid"]: r for r in _rows(lake, "profiles")}
    posts = {r["aid"]: r for r in _rows(lake, "posts")}
    metrics = {r["aid"]: r for r in _rows(lake, "post_metrics")}
    comments = {r["rpid"]: r for r in _rows(lake, "comments")}
    audience = _rows(lake, "audience")
    for kol in _kols():
        profile = profiles[kol.account_id]
        assert (profile["name"], profile["follower"], profile["attention"], profile["archive_count"]) == \
            (kol.handle, world.followers_on(kol, DAY), world.following_on(kol, DAY), world.posts_count_on(kol, DAY))
        tracked = world.posts_between(kol, track.date(), DAY)
        assert {a for a, r in posts.items() if r["mid"] == kol.account_id} == \
            {p.post_id for p in tracked if p.created_at >= look}
        assert {a for a, r in metrics.items() if r["mid"] == kol.account_id} == {p.post_id for p in tracked}
        for post in tracked:
            c, m = world.counters(post, as_of), metrics[post.post_id]
            assert (m["view"], m["like"], m["reply"], m["favorite"], m["share"]) == \
                (c.views, c.likes, c.comments, c.saves, c.shares)
            if post.post_id in posts:
                assert posts[post.post_id]["length"] == post.duration_s
                assert posts[post.post_id]["created"] == post.created_at
        expected = [c for p in tracked for c in world.comments_on(p, as_of) if look <= c.created_at < end]
        assert {c.comment_id for c in expected} == {i for i, r in comments.items() if r["upper_mid"] == kol.account_id}
        sample = {pseudonymise(f.account_id, P): f for f in world.audience_sample(kol, DAY)}
        landed = [r for r in audience if r["vmid"] == kol.account_id]
        assert {r["mid"] for r in landed} == set(sample)
        for r in landed:
            f = sample[r["mid"]]
            assert (r["follower"], r["following"], r["archive_count"], r["jointime"]) == \
                (f.followers, f.following, f.posts, f.created_at)
            assert f.account_id not in (r["face"] or "")  # the id inside an avatar URL goes too


def test_the_uploaders_replies_point_at_the_comment_they_answer(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end), look = end_of(DAY), day_bounds(DAY), lookback_window_start(DAY)
    comments = {r["rpid"]: r for r in _rows(lake, "comments")}
    replies = [(kol, c) for kol in _kols() for p in world.posts_between(kol, DAY - timedelta(days=6), DAY)
               for c in world.comments_on(p, as_of) if c.author is None and look <= c.created_at < end]
    assert replies, "the Eastern uploaders answer their commenters"
    for kol, reply in replies:
        row = comments[reply.comment_id]
        assert (row["mid"], row["uname"]) == (kol.account_id, kol.handle)
        assert row["parent"] == row["root"] == reply.reply_to_id
    roots = [r for r in comments.values() if r["parent"] is None]
    assert roots and all(r["mid"].startswith("p_") and r["uname"].startswith("p_") for r in roots)


def test_pages_end_on_a_short_page_whatever_page_count_says(demo_api, tmp_path, paths):
    _pull(tmp_path, server=demo_api, n=1)
    kol = _kols(1)[0]
    searches = [q for p, q in paths if p == "/x/space/wbi/arc/search"]
    # page.count is the profile's video count, hundreds of pages' worth; the window needs one page.
    assert default_world().posts_count_on(kol, DAY) > 10 * client.VIDEO_PAGE
    assert [str(q["pn"]) for q in searches] == ["1"]
    assert all(q.get("w_rid") and q.get("wts") for q in searches), "the WBI endpoint gets a signed query"
    assert [p for p, _ in paths].count("/x/web-interface/nav") == 1, "the WBI keys are read once per pull"
    assert all(q.get("export_date") == DAY.isoformat() for _, q in paths)


def test_wbi_signature_matches_the_documented_example():
    # bilibili-API-collect, docs/misc/sign/wbi.md
    key = client.mixin_key("7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45")
    assert key == "ea1db124af3c7062474693fa704f4ff8"
    signed = client.wbi_sign({"foo": "114", "bar": "514", "zab": 1919810}, key, 1702204169)
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4" and signed["wts"] == "1702204169"


# --------------------------------------------------------------------------- a hostile platform

def test_repeated_items_are_counted_as_duplicates_and_land_once(clean, tmp_path):
    lake, _ = clean
    reports, injected = _pull(tmp_path, f"{P}:duplicate_items=1")
    assert injected["duplicate_items"] > 0 and sum(r.duplicates for r in reports.values()) > 0
    for entity, r in reports.items():
        assert r.balanced and _rows(tmp_path, entity) == _rows(lake, entity), entity


@pytest.mark.parametrize("spec", ["throttle_in_200=0.1", "throttle_in_200=0.1,throttle_code=-352",
                                  "throttle_in_200=0.1,throttle_code=-799", "http_429=0.1,retry_after=0",
                                  "server_error=0.05,burst=2", "truncated=0.05"])
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


def test_an_expired_or_wrong_sessdata_is_an_auth_error_that_names_the_variable(demo_api, tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:expired_token=1", n=1)
    assert err.value.kind == "auth" and "KOL_BILIBILI_ACCESS_TOKEN" in str(err.value) and "-101" in str(err.value)
    bad = "bili-wrong-sessdata-must-not-leak"
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, server=demo_api, n=1, token=bad)
    assert err.value.kind == "auth" and "KOL_BILIBILI_ACCESS_TOKEN" in str(err.value)
    assert bad not in str(err.value) and not (tmp_path / "raw").exists()


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
    rows = _rows(tmp_path, "comments")
    assert any(r["_extras"] and "is_lesson_video" in json.loads(r["_extras"]) for r in rows)


def test_counts_drifting_into_display_strings_land_as_numbers(clean, tmp_path):
    lake, clean_reports = clean
    reports, injected = _pull(tmp_path, f"{P}:schema_drift=1,drift=string_count")
    assert injected["schema_drift"] > 0
    for entity, r in reports.items():
        assert r.quarantined == 0 and r.landed == clean_reports[entity].landed, entity
    before = {r["aid"]: r for r in _rows(lake, "post_metrics")}
    for after in _rows(tmp_path, "post_metrics"):
        exact = before[after["aid"]]["view"]
        assert isinstance(after["view"], int) and abs(after["view"] - exact) <= 0.05 * exact + 1
    follower = {r["mid"]: r["follower"] for r in _rows(lake, "profiles")}
    assert all(abs(r["follower"] - follower[r["mid"]]) <= 0.05 * follower[r["mid"]]
               for r in _rows(tmp_path, "profiles"))


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
    assert marked == {("comments", "mid"): "id", ("comments", "uname"): "handle", ("audience", "mid"): "id",
                      ("audience", "uname"): "handle", ("audience", "face"): "url"}


def test_lengths_are_minutes_and_seconds_with_minutes_unwrapped():
    assert normalize.length_seconds("01:23") == 83
    assert normalize.length_seconds("120:05") == 7205  # a two-hour live replay
    assert normalize.length_seconds("1:02:03") == 3723 and normalize.length_seconds("") is None
    for bad in ("1:75", "abc", 83):
        with pytest.raises(ValueError):
            normalize.length_seconds(bad)


def test_a_video_the_view_no_longer_shows_keeps_the_lists_counts():
    ctx = {"snapshot_date": "2026-11-20", "mid": "356210246"}
    listed = {"aid": 1795211582000001, "mid": 356210246, "play": "1.2万", "comment": 75, "video_review": 20,
              "created": 1795211582}
    row = normalize.post_metrics(listed, ctx)
    assert (row["aid"], row["mid"], row["view"], row["reply"], row["danmaku"], row["like"]) == \
        ("1795211582000001", "356210246", 12_000, 75, 20, None)


def test_records_that_do_not_parse_are_quarantined_with_the_reason():
    ctx = {"oid": "1", "upper_mid": "9"}
    good = {"rpid": 11, "oid": 1, "mid": 5, "ctime": 1795211582, "member": {"mid": "5", "uname": "u"},
            "content": {"message": "hi"}, "root": 0, "parent": 0, "like": 3}
    records = [RawRecord(good, ctx), RawRecord(dict(good), ctx),
               RawRecord(good | {"rpid": 12, "ctime": "yesterday"}, ctx),
               RawRecord(good | {"rpid": 13, "like": -1}, ctx), RawRecord({"ctime": 1795211582}, ctx)]
    table, quarantined, duplicates = landing.normalize(P, "comments", records, normalize.comments)
    assert table.num_rows == 1 and duplicates == 1 and len(quarantined) == 3
    assert table.to_pylist()[0]["parent"] is None  # 0 is "no parent" on Bilibili
    reasons = " | ".join(q["reason"] for q in quarantined)
    assert "not an integer" in reasons and "negative" in reasons and "no id" in reasons
