"""The WeChat Official Account connector against the demo export API over real HTTP:
datacube windows, errors in HTTP 200 bodies, msgid vs comment/list's 0-based index, the
account's replies as rows of their own, and every fault mode."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest

from ingestion import http, landing, pull, schemas
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.api_common import end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError
from ingestion.landing import normalize
from ingestion.platforms.base import TRACKING_DAYS, RawRecord, lookback_window_start
from ingestion.platforms.wechat import client as wechat_client
from ingestion.platforms.wechat import normalize as wechat_normalize
from ingestion.platforms.wechat import schema as wechat_schema
from ingestion.privacy import pseudonymise
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "wechat"
DAY = date(2026, 11, 20)
ENV_VAR = "KOL_WECHAT_ACCESS_TOKEN"


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """WeChat in the registries pull and landing read, whether or not the lead has listed it yet;
    retries without a Retry-After wait milliseconds, not seconds."""
    monkeypatch.setitem(schemas.SCHEMAS, P, wechat_schema.SCHEMAS)
    monkeypatch.setitem(schemas.NATURAL_KEYS, P, wechat_schema.NATURAL_KEYS)
    if P not in landing.PLATFORMS:
        monkeypatch.setattr(landing, "PLATFORMS", (*landing.PLATFORMS, P))
    monkeypatch.setitem(pull.CONNECTORS, P, (wechat_client.CONNECTOR, wechat_normalize.NORMALIZERS))
    if hasattr(pull, "KNOWN_FIELDS"):
        monkeypatch.setitem(pull.KNOWN_FIELDS, P, wechat_normalize.KNOWN_FIELDS)
    monkeypatch.setattr(http, "BACKOFF_BASE_S", 0.01)


def _kols(n=None):
    kols = default_world().kols(P)
    return kols if n is None else kols[:n]


def _pull(lake, base_url, day=DAY, accounts=None, token=None, **settings):
    cfg = PlatformSettings(P, base_url, token or TOKENS[P], **settings)
    accounts = [k.account_id for k in _kols(3)] if accounts is None else accounts
    return {r.entity: r for r in pull.pull_platform_day(P, day, lake=lake, settings=cfg, accounts=accounts)}


def _faulty(lake, spec, day=DAY, seed=3, **settings):
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=seed) if spec else None) as server:
        reports = _pull(lake, server.base_url(P), day=day, **settings)
        return reports, server.faults_injected.get(P, {})


def _rows(lake, entity, day=DAY):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / P / entity / f"dt={day}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


def _without_extras(rows):
    return [{k: v for k, v in r.items() if k != "_extras"} for r in rows]


@pytest.fixture(scope="module")
def full_day(tmp_path_factory, demo_api):
    """One clean pull of every demo account, shared by the tests that only read it."""
    lake = tmp_path_factory.mktemp("wechat") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(schemas.SCHEMAS, P, wechat_schema.SCHEMAS)
        mp.setitem(schemas.NATURAL_KEYS, P, wechat_schema.NATURAL_KEYS)
        if P not in landing.PLATFORMS:
            mp.setattr(landing, "PLATFORMS", (*landing.PLATFORMS, P))
        mp.setitem(pull.CONNECTORS, P, (wechat_client.CONNECTOR, wechat_normalize.NORMALIZERS))
        if hasattr(pull, "KNOWN_FIELDS"):
            mp.setitem(pull.KNOWN_FIELDS, P, wechat_normalize.KNOWN_FIELDS)
        reports = _pull(lake, demo_api.base_url(P), accounts=[k.account_id for k in _kols()])
    return lake, reports


# --------------------------------------------------------------------------- a clean day

def test_every_entity_lands_with_balanced_accounting_and_the_contract(full_day):
    lake, reports = full_day
    assert list(reports) == list(ENTITIES)
    for entity, r in reports.items():
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        table = pq.read_table(r.path)
        assert table.schema.equals(schema_for(P, entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]
        assert manifest["platform_day_requests"] > 0 and manifest["accounts"] == len(_kols())


def test_profiles_carry_the_days_follower_numbers(full_day):
    lake, _ = full_day
    world = default_world()
    rows = {r["original_id"]: r for r in _rows(lake, "profiles")}
    assert set(rows) == {k.account_id for k in _kols()}
    for kol in _kols():
        row = rows[kol.account_id]
        assert row["nickname"] == kol.handle and row["snapshot_date"] == DAY
        assert row["cumulate_user"] == world.followers_on(kol, DAY)
        # getusersummary: the day's gains less its losses is the change of the follower count.
        assert row["new_user"] - row["cancel_user"] == (world.followers_on(kol, DAY)
                                                        - world.followers_on(kol, DAY - timedelta(days=1)))


def test_article_metrics_are_cumulative_snapshots_of_the_tracking_window(full_day):
    lake, _ = full_day
    world = default_world()
    metrics = {r["msgid"]: r for r in _rows(lake, "post_metrics")}
    assert all(isinstance(r["int_page_read_count"], int) for r in metrics.values())
    expected = set()
    for kol in _kols():
        for post in world.posts_between(kol, DAY - timedelta(days=TRACKING_DAYS - 1), DAY):
            c = world.counters(post, end_of(DAY))
            if c.views + c.shares + c.saves < 3:
                continue  # WeChat leaves quiet articles out of its statistics
            expected.add(post.post_id)
            row = metrics[post.post_id]
            assert row["original_id"] == kol.account_id and row["ref_date"] == post.created_at.date()
            assert (row["int_page_read_count"], row["share_count"], row["add_to_fav_count"]) == (
                c.views, c.shares, c.saves)
            assert row["int_page_read_user"] <= row["int_page_read_count"]
            assert row["target_user"] == world.followers_on(kol, post.created_at.date())
    assert set(metrics) == expected


def test_posts_are_the_articles_pushed_in_the_lookback_window_with_a_0_based_index(full_day):
    lake, _ = full_day
    world = default_world()
    posts = {r["msgid"]: r for r in _rows(lake, "posts")}
    first = lookback_window_start(DAY).date()
    assert posts and all(first <= r["ref_date"] <= DAY for r in posts.values())
    for kol in _kols():
        for post in world.posts_between(kol, first, DAY):
            c = world.counters(post, end_of(DAY))
            if c.views + c.shares + c.saves >= 3:
                row = posts[post.post_id]
                assert row["title"] == post.title and row["original_id"] == kol.account_id
    for msgid, row in posts.items():
        push, n = msgid.rsplit("_", 1)
        # msgid counts an article's place from 1, comment/list's index from 0.
        assert row["msg_data_id"] == push and row["index"] == int(n) - 1


def test_comments_and_the_accounts_replies_of_the_lookback_window_agree_with_the_world(full_day):
    lake, _ = full_day
    world = default_world()
    rows = _rows(lake, "comments")
    start, end = lookback_window_start(DAY), end_of(DAY)
    assert rows and all(start <= r["create_time"] <= end for r in rows)
    assert all(r["create_time"].utcoffset() == timedelta(0) for r in rows)
    tracked = {r["msgid"] for r in _rows(lake, "post_metrics")}
    landed = {(r["msgid"], r["user_comment_id"], r["is_reply"]): r for r in rows}
    expected = {}
    for msgid in tracked:
        post = world.post(msgid, P)
        comments = world.comments_on(post, end)
        serial = {c.comment_id: str(i) for i, c in enumerate((c for c in comments if c.reply_to_id is None), 1)}
        for c in comments:
            if start <= c.created_at <= end:
                is_reply = c.reply_to_id is not None
                key = (msgid, serial[c.reply_to_id if is_reply else c.comment_id], is_reply)
                expected[key] = c
    assert set(landed) == set(expected)
    for key, c in expected.items():
        row = landed[key]
        assert row["content"] == c.text and row["create_time"] == c.created_at.replace(microsecond=0)
        if c.reply_to_id is None:
            # Commenters are pseudonymised: the same person, the same pseudonym.
            assert row["openid"] == pseudonymise(c.author_id, P) and row["reply_to_user_comment_id"] is None
    replies = [r for r in rows if r["is_reply"]]
    assert replies, "the accounts answer some comments"
    for r in replies:
        # The account's reply keeps the account's own id and points at the comment it answers.
        assert r["openid"] == r["original_id"] and r["reply_to_user_comment_id"] == r["user_comment_id"]


def test_the_audience_sample_lands_pseudonymised_with_its_profiles(full_day):
    lake, _ = full_day
    world = default_world()
    rows = _rows(lake, "audience")
    for kol in _kols(4):
        mine = {r["openid"]: r for r in rows if r["original_id"] == kol.account_id}
        sample = world.audience_sample(kol, DAY)
        assert set(mine) == {pseudonymise(f.account_id, P) for f in sample}
        for f in sample:
            row = mine[pseudonymise(f.account_id, P)]
            assert (row["follower_count"], row["following_count"], row["post_count"]) == (f.followers, f.following,
                                                                                          f.posts)
            assert row["account_create_time"] == f.created_at and row["nickname_length"] == len(f.handle)
            assert (row["headimgurl"] is None) == (f.avatar_url is None)  # "" is WeChat's "no avatar"
            assert f.account_id not in (row["headimgurl"] or "")


def test_no_follower_or_commenter_id_lands_raw(full_day):
    lake, _ = full_day
    world = default_world()
    people = {f.account_id for k in _kols() for f in world.audience_pool(k)}
    text = "".join(str(pq.read_table(p).to_pylist()) for p in lake.rglob("*.parquet"))
    assert not [p for p in people if p in text]


# --------------------------------------------------------------------------- normalisers

def test_records_that_do_not_parse_are_quarantined_with_a_reason():
    ctx = {"msgid": "2661239426_2", "original_id": "gh_x", "is_reply": False}
    good = {"user_comment_id": 3, "openid": "oAbc", "create_time": 1795003687, "content": "hi", "comment_type": 1,
            "reply": {"content": "thanks", "create_time": 1795059436}}
    records = [RawRecord(good, ctx), RawRecord(dict(good), ctx), RawRecord(good, ctx | {"is_reply": True}),
               RawRecord({**good, "user_comment_id": 4, "create_time": "yesterday"}, ctx),
               RawRecord({**good, "user_comment_id": 5, "reply": None}, ctx | {"is_reply": True})]
    table, quarantined, duplicates = normalize(P, "comments", records, wechat_normalize.comments,
                                               keep=frozenset({"gh_x"}))
    assert table.num_rows == 2 and duplicates == 1 and len(quarantined) == 2
    reply = next(r for r in table.to_pylist() if r["is_reply"])
    assert reply["openid"] == "gh_x" and reply["reply_to_user_comment_id"] == "3"
    with pytest.raises(ValueError, match="counted from 1"):
        wechat_normalize.posts({"msgid": "2661239426_0", "ref_date": "2026-11-20"}, {"original_id": "gh_x"})
    metrics = {"ref_date": "2026-11-19", "msgid": "1_1", "details": [
        {"stat_date": "2026-11-19", "int_page_read_count": 5},
        {"stat_date": "2026-11-20", "int_page_read_count": "1.2万"}]}
    row = wechat_normalize.post_metrics(metrics, {"snapshot_date": "2026-11-20", "original_id": "gh_x"})
    assert row["int_page_read_count"] == 12_000 and row["share_count"] is None


# --------------------------------------------------------------------------- faults

def test_repeated_items_are_counted_as_duplicates_and_land_once(tmp_path):
    clean, _ = _faulty(tmp_path / "clean", "")
    dup, injected = _faulty(tmp_path / "dup", f"{P}:duplicate_items=1")
    assert injected["duplicate_items"] > 0 and sum(r.duplicates for r in dup.values()) > 0
    for entity in ENTITIES:
        assert dup[entity].balanced
        assert _rows(tmp_path / "dup", entity) == _rows(tmp_path / "clean", entity), entity


@pytest.mark.parametrize("spec", [f"{P}:throttle_in_200=0.15", f"{P}:throttle_in_200=0.15,throttle_code=-1",
                                  f"{P}:http_429=0.1,retry_after=0", f"{P}:server_error=0.05,burst=2",
                                  f"{P}:truncated=0.1"])
def test_throttles_outages_and_cut_bodies_are_retried_and_the_day_lands_whole(tmp_path, spec):
    clean, _ = _faulty(tmp_path / "clean", "")
    hostile, injected = _faulty(tmp_path / "hostile", spec, retries=6, retry_after_max_s=5)
    assert sum(injected.values()) > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "hostile", entity) == _rows(tmp_path / "clean", entity), entity


@pytest.mark.parametrize("spec, kind", [(f"{P}:throttle_in_200=1", "throttle"),
                                        (f"{P}:http_429=1,retry_after=0", "throttle"),
                                        (f"{P}:server_error=1,burst=10", "transient"),
                                        (f"{P}:truncated=1", "transient")])
def test_a_fault_that_outlasts_the_retries_fails_with_its_kind_and_lands_nothing(tmp_path, spec, kind):
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path, spec, retries=1, retry_after_max_s=5)
    assert err.value.kind == kind and TOKENS[P] not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_an_expired_token_is_an_auth_error_naming_the_variable_to_renew(tmp_path):
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path, f"{P}:expired_token=1", retries=4)
    assert err.value.kind == "auth" and "42001" in str(err.value) and ENV_VAR in str(err.value)
    assert TOKENS[P] not in str(err.value) and not (tmp_path / "raw").exists()


def test_a_wrong_token_is_an_auth_error_too(demo_api, tmp_path):
    bad = "wx-wrong-token-must-not-leak"
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, demo_api.base_url(P), token=bad)
    assert err.value.kind == "auth" and ENV_VAR in str(err.value) and bad not in str(err.value)


def test_the_daily_quota_fails_fast_and_says_when_it_resets(tmp_path):
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(f"{P}:quota_exceeded=1")) as server:
        with pytest.raises(PlatformError) as err:
            _pull(tmp_path, server.base_url(P), retries=4)
        assert server.requests_served == 1, "a used-up daily quota is not asked again"
    assert err.value.kind == "quota" and "45009" in str(err.value)
    assert "Asia/Shanghai" in str(err.value) and "resets" in str(err.value)


def test_schema_drift_loses_nothing_and_keeps_new_fields(tmp_path):
    reports, injected = _faulty(tmp_path, f"{P}:schema_drift=0.4")
    assert injected["schema_drift"] > 0
    for r in reports.values():
        assert r.balanced, r
    lines = [line for p in (tmp_path / "quarantine").rglob("records.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == sum(r.quarantined for r in reports.values())
    extras = [json.loads(r["_extras"]) for e in ENTITIES for r in _rows(tmp_path, e) if r["_extras"]]
    assert extras and all(e == {"user_source": 0} for e in extras)


def test_counts_drifting_into_strings_land_as_the_same_numbers(tmp_path):
    clean, _ = _faulty(tmp_path / "clean", "")
    drifted, injected = _faulty(tmp_path / "drift", f"{P}:schema_drift=1,drift=string_count")
    assert injected["schema_drift"] > 0
    for entity in ENTITIES:
        assert drifted[entity].quarantined == 0
        assert _rows(tmp_path / "drift", entity) == _rows(tmp_path / "clean", entity), entity


def test_late_rows_are_caught_by_the_next_days_lookback_and_land_once(tmp_path):
    def keys(lake, entity, d):
        return {(r["msgid"], r.get("user_comment_id"), r.get("is_reply")) for r in _rows(lake, entity, d)}

    everyone = [k.account_id for k in _kols()]  # enough articles pushed on the day for some to be late
    for d in (DAY - timedelta(days=2), DAY - timedelta(days=1)):
        _faulty(tmp_path / "clean", "", day=d, accounts=everyone)
        _faulty(tmp_path / "late", "", day=d, accounts=everyone)
    _faulty(tmp_path / "clean", "", day=DAY, accounts=everyone)
    _, injected = _faulty(tmp_path / "late", f"{P}:late_rows=0.5", day=DAY, accounts=everyone)
    assert injected["late_rows"] > 0
    after = DAY + timedelta(days=1)
    _faulty(tmp_path / "clean", "", day=after, accounts=everyone)
    _faulty(tmp_path / "late", "", day=after, accounts=everyone)  # WeChat now shows yesterday's late rows
    for entity in ("posts", "comments"):
        late_day, caught = keys(tmp_path / "late", entity, DAY), keys(tmp_path / "late", entity, after)
        missing = keys(tmp_path / "clean", entity, DAY) - late_day
        assert missing and missing <= caught, entity
        assert not late_day & caught
        assert late_day | caught == keys(tmp_path / "clean", entity, DAY) | keys(tmp_path / "clean", entity, after)


def test_the_token_never_shows_in_logs_errors_or_files(tmp_path, caplog):
    # WeChat takes its token only in the query string, which urllib3 logs with every request.
    caplog.set_level(logging.DEBUG)
    _faulty(tmp_path / "a", f"{P}:http_429=0.1,retry_after=0", retries=8)
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path / "b", f"{P}:slow=1,delay=0.5", timeout_s=0.1, retries=1)
    _faulty(tmp_path / "c", f"{P}:schema_drift=0.5,drift=missing_field+new_field")
    assert err.value.kind == "transient"
    assert "access_token=***" in caplog.text, "urllib3 logged the request URLs, token redacted"
    assert TOKENS[P] not in caplog.text and TOKENS[P] not in str(err.value)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKENS[P].encode() not in path.read_bytes(), path
