"""`make dev` for real: the demo export API, the Dagster webserver and daemon in their
own processes, and date-range backfills launched the way the UI launches them (GraphQL): two
engineers' backfills that overlap run one after the other (the warehouse and per-platform
pools) and leave every account-day once in every mart."""
import time

import duckdb
import pytest
import requests

DAYS = [f"2026-11-{d}" for d in range(14, 21)]  # a week, as an engineer would backfill it
OVERLAPPING = [f"2026-11-{d}" for d in range(18, 23)]  # a second engineer's range: 18..20 in both

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""

STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
  }
}"""


@pytest.fixture
def dagster_dev(tmp_path):
    from tests.dagster_dev_server import dagster_dev as start

    with start(tmp_path) as server:
        yield server.graphql, tmp_path


def _launch(url: str, days: list[str]) -> str:
    from orchestration.definitions import defs

    # Every asset Dagster can materialise, as "Materialize all" then a date range does in the
    # UI (raw/files/* included: their step, land_inbox, processes the inbox).
    graph = defs.resolve_asset_graph()
    keys = [{"path": key.path} for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    params = {"partitionNames": days, "assetSelection": keys, "fromFailure": False}
    answer = requests.post(url, json={"query": LAUNCH, "variables": {"params": params}}, timeout=60).json()
    launched = answer["data"]["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def _wait(url: str, backfill_id: str, deadline: float) -> str | None:
    status = None
    while time.monotonic() < deadline:
        body = requests.post(url, json={"query": STATUS, "variables": {"id": backfill_id}}, timeout=30).json()
        status = body["data"]["partitionBackfillOrError"].get("status")
        if status in ("COMPLETED", "COMPLETED_SUCCESS", "FAILED", "COMPLETED_FAILED", "CANCELED"):
            break
        time.sleep(5)
    return status


@pytest.mark.slow
def test_overlapping_backfills_launched_like_the_ui_does_land_and_build_their_ranges_once(dagster_dev):
    from ingestion.pull import CONNECTORS
    from orchestration.runs import MART_KEYS, MARTS, duplicated_keys

    url, tmp_path = dagster_dev
    first, second = _launch(url, DAYS), _launch(url, OVERLAPPING)

    # One run per range (every platform, then the landed_day gate, then dbt once) after the
    # daemon's next 30 s tick; the pools queue the second behind the first. 20 minutes leave
    # room for a slow, busy two-core machine.
    deadline = time.monotonic() + 1200
    for backfill_id in (first, second):
        status = _wait(url, backfill_id, deadline)
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), (status, (tmp_path / "dev.log").read_text()[-4000:])

    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        for backfill_id in (first, second):
            runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))
            steps = [e.step_key for e in instance.all_logs(runs[0].run_id, of_type=DagsterEventType.STEP_SUCCESS)]
            # A range is not split into a run per day or per dbt layer: dbt is invoked once per dbt asset.
            assert len(runs) == 1, [r.run_id for r in runs]
            assert sorted(steps) == sorted([*(f"ingest_{p}" for p in CONNECTORS), "land_inbox", "landed_day",
                                            "kol_dbt_models", "kol_dbt_daily_marts"])

    both = sorted(set(DAYS) | set(OVERLAPPING))
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        days = con.execute("select min(date_day), max(date_day), count(distinct date_day) "
                           "from fct_kol_credibility_daily").fetchone()
        kols = con.execute("select count(*) from dim_kol").fetchone()[0]
        per_day = con.execute("select count(*), count(distinct (account_key, date_day)) "
                              "from fct_kol_credibility_daily").fetchone()
        # Every incremental mart holds each key of its grain once: no run doubled another's rows.
        doubled = duplicated_keys(con)
    assert [d.isoformat() for d in days[:2]] == [both[0], both[-1]] and days[2] == len(both)
    assert per_day == (kols * len(both), kols * len(both)), (per_day, kols)
    assert set(MART_KEYS) == set(MARTS) and doubled == {}, doubled
