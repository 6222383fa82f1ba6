"""`make dev` for real: the demo export API, the Dagster webserver and daemon in their
own processes, and a date-range backfill launched the way the UI launches it (GraphQL)."""
import time

import duckdb
import pytest
import requests

DAYS = [f"2026-11-{d}" for d in range(14, 21)]  # a week, as an engineer would backfill it

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


@pytest.mark.slow
def test_a_backfill_launched_like_the_ui_does_lands_and_builds_the_range(dagster_dev):
    from ingestion.pull import CONNECTORS
    from orchestration.definitions import defs

    url, tmp_path = dagster_dev
    # Every asset Dagster can materialise, as "Materialize all" then a date range does in the
    # UI (raw/files/* included: their step, land_inbox, processes the inbox).
    graph = defs.resolve_asset_graph()
    keys = [{"path": key.path} for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    params = {"partitionNames": DAYS, "assetSelection": keys, "fromFailure": False}
    answer = requests.post(url, json={"query": LAUNCH, "variables": {"params": params}}, timeout=60).json()
    launched = answer["data"]["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    # One run for the range (every platform, then the landed_day gate, then dbt once) after
    # the daemon's next 30 s tick; 15 minutes leave room for a slow, busy two-core machine.
    deadline, status = time.monotonic() + 900, None
    while time.monotonic() < deadline:
        body = requests.post(url, json={"query": STATUS, "variables": {"id": launched["backfillId"]}}, timeout=30).json()
        status = body["data"]["partitionBackfillOrError"].get("status")
        if status in ("COMPLETED", "COMPLETED_SUCCESS", "FAILED", "COMPLETED_FAILED", "CANCELED"):
            break
        time.sleep(5)
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), (status, (tmp_path / "dev.log").read_text()[-4000:])

    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": launched["backfillId"]}))
        steps = [e.step_key for e in instance.all_logs(runs[0].run_id, of_type=DagsterEventType.STEP_SUCCESS)]
    # A range is not split into a run per day or per dbt layer: dbt is invoked once per dbt asset.
    assert len(runs) == 1, [r.run_id for r in runs]
    assert sorted(steps) == sorted([*(f"ingest_{p}" for p in CONNECTORS), "land_inbox", "landed_day",
                                    "kol_dbt_models", "kol_dbt_daily_marts"])

    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        days = con.execute("select min(date_day), max(date_day), count(distinct date_day) "
                           "from fct_kol_credibility_daily").fetchone()
    assert [d.isoformat() for d in days[:2]] == [DAYS[0], DAYS[-1]] and days[2] == len(DAYS)
