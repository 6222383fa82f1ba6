"""Commerce and WeChat's WCI on the demo world: three days of WeChat (East) and Instagram (West)
landed through the real export API, each day's brand-collaboration commerce.csv and WeChat's
dashboard export (what `ingestion.demo.generate` writes) dropped in the inbox and landed by
`ingestion.inbox.process_inbox`, then `dbt build` of the commerce marts and fct_wechat_wci_daily
(unit tests included). The marts' orders and GMV must add up to the CSVs', and every WeChat
account day must have a WCI, with the likes that only the dashboard export carries."""
import csv
import io
import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest

from ingestion.demo.generate import commerce_csv
from ingestion.demo.server import MODULES
from ingestion.demo.world import default_world
from ingestion.inbox import process_inbox
from tests.conftest import land_and_build

LAST = date(2026, 11, 24)
DAYS = 3
LANDED_DAYS = [LAST - timedelta(days=i) for i in range(DAYS)]
PLATFORMS = ("wechat", "instagram")  # one East, one West
MODELS = ("fct_post_commerce_daily", "fct_account_commerce_daily", "fct_wechat_wci_daily")


def _csv_totals(payloads: list[bytes]) -> dict[str, dict]:
    """Per platform: the records, orders and GMV the dropped commerce.csv files hold."""
    totals: dict[str, dict] = {}
    for payload in payloads:
        for row in csv.DictReader(io.StringIO(payload.decode("utf-8-sig"))):
            t = totals.setdefault(row["platform"], {"records": 0, "orders": 0, "gmv": Decimal(0)})
            t["records"] += 1
            t["orders"] += int(row["orders"])
            t["gmv"] += Decimal(row["gmv"])
    return totals


@pytest.fixture(scope="module")
def built(demo_api, tmp_path_factory):
    data = tmp_path_factory.mktemp("commerce")
    world = default_world()  # the world the demo API serves: the files name the same posts
    dropped: list[bytes] = []

    def drop_files(lake):
        inbox = data / "inbox"
        inbox.mkdir()
        for day in LANDED_DAYS:
            for platform in PLATFORMS:
                payload = commerce_csv(world, platform, day)
                (inbox / f"commerce_{platform}_{day}.csv").write_bytes(payload)
                dropped.append(payload)
            for name, payload in MODULES["wechat"].export_files(world, day).items():
                (inbox / name).write_bytes(payload)
        morning_after = datetime.combine(LAST + timedelta(days=1), time(6), tzinfo=timezone.utc)
        reports = process_inbox(inbox, lake, now=morning_after)
        assert reports and {r.status for r in reports} == {"landed"}, [r.line() for r in reports]

    # var kol_platforms switches the other platforms' staging off; dim_kol is built so that the
    # marts' relationships tests run, and `buildable` leaves out tests joining marts not built here
    warehouse, results = land_and_build(
        data, PLATFORMS, LAST, DAYS,
        ["--vars", json.dumps({"kol_platforms": list(PLATFORMS)}),
         "--select", " ".join(f"+{m}" for m in MODELS) + " +dim_kol", "--indirect-selection", "buildable"],
        before_build=drop_files)
    return warehouse, results, _csv_totals(dropped)


def _rows(warehouse, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def test_build_passes_with_the_formula_unit_tests(built):
    _, results, _ = built
    assert {r["status"] for r in results} <= {"success", "pass"}, \
        [r for r in results if r["status"] not in ("success", "pass")]
    for model in MODELS:
        assert any(r["unique_id"].startswith("unit_test.") and model in r["unique_id"] for r in results), model


def test_post_mart_totals_equal_the_dropped_csvs(built):
    warehouse, _, expected = built
    assert set(expected) == set(PLATFORMS) and all(t["orders"] > 0 for t in expected.values()), expected
    rows = _rows(warehouse, "select platform, count(*) as records, sum(orders) as orders, sum(gmv) as gmv "
                            "from fct_post_commerce_daily group by platform")
    got = {r["platform"]: r for r in rows}
    for platform, t in expected.items():
        assert got[platform]["records"] == t["records"], platform
        assert got[platform]["orders"] == t["orders"], platform
        assert got[platform]["gmv"] == pytest.approx(float(t["gmv"]), abs=0.005), platform


def test_account_mart_totals_equal_the_dropped_csvs(built):
    warehouse, _, expected = built
    rows = _rows(warehouse, "select platform, sum(commerce_records) as records, sum(orders) as orders, "
                            "sum(gmv) as gmv from fct_account_commerce_daily group by platform")
    got = {r["platform"]: r for r in rows}
    for platform, t in expected.items():
        assert (got[platform]["records"], got[platform]["orders"]) == (t["records"], t["orders"]), platform
        assert got[platform]["gmv"] == pytest.approx(float(t["gmv"]), abs=0.005), platform


def test_conversion_and_gmv_per_thousand_followers(built):
    warehouse, _, _ = built
    rows = _rows(warehouse, "select * from fct_post_commerce_daily")
    assert all(r["followers"] for r in rows), "every sponsored post's author has a snapshot that day"
    for r in rows:
        if r["clicks"]:
            assert r["conversion_rate"] == pytest.approx(r["orders"] / r["clicks"])
        assert r["gmv_per_thousand_followers"] == pytest.approx(1000 * r["gmv"] / r["followers"])
        # no CPM is set by default: no media value is invented
        assert r["cpm"] is None and r["estimated_media_value"] is None


def test_every_wechat_account_day_has_a_wci(built):
    warehouse, _, _ = built
    rows = _rows(warehouse, "select * from fct_wechat_wci_daily")
    accounts = len(default_world().kols("wechat"))
    assert len(rows) == accounts * DAYS
    assert {r["date_day"] for r in rows} == set(LANDED_DAYS)
    assert all(r["wci"] is not None and r["wci"] >= 0 for r in rows)
    assert any(r["wci"] > 0 and r["articles"] > 0 for r in rows)
    # likes come from the dashboard export landed through the inbox; 在看 from nowhere
    assert sum(r["likes_total"] for r in rows) > 0
    assert all(not r["is_wows_available"] and r["wows_total"] == 0 for r in rows)
    assert all(r["unavailable_inputs"] == ("wows" if r["is_likes_complete"] else "wows,likes") for r in rows)
