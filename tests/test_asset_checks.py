"""Asset checks on the raw assets (slice accounting, quarantine ratio, row count against the
recent norm), dbt tests as checks on the marts, and the marts' freshness policy.

The raw checks are evaluated by real in-process materialisations of a platform against the
demo export API, on days it has really landed; failures come from tampered manifests (re-read
by a checks-only run, which does not pull again) and from a real hostile API."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, AssetSelection, DagsterInstance, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ingestion.pull import CONNECTORS
from ingestion.schemas import ENTITIES
from orchestration.checks import ACCOUNTING, QUARANTINE, RAW_CHECKS, ROW_NORM, CheckSettings, evaluate_raw_checks

DAY = date(2026, 11, 20)


def _ingest(platform: str):
    from orchestration.assets.ingestion import ingestion_assets

    (assets_def,) = [a for a in ingestion_assets if a.node_def.name == f"ingest_{platform}"]
    return assets_def


def _run(platform: str, lake: Path, first: date, last: date | None = None, *, checks_only: bool = False,
         instance: DagsterInstance | None = None):
    """One run of the platform's ingestion step for ``first`` .. ``last`` (a range is one run, as
    in a backfill); with ``checks_only`` the checks alone and no partition, as an asset's
    "Execute checks" in the UI launches them."""
    from orchestration.resources import LakeResource

    assets_def = _ingest(platform)
    last = last or first
    ranged = last != first
    result = materialize(
        [assets_def], instance=instance or DagsterInstance.ephemeral(),
        resources={"lake": LakeResource(lake_dir=str(lake))},
        partition_key=None if ranged or checks_only else first.isoformat(),
        tags={ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
              ASSET_PARTITION_RANGE_END_TAG: last.isoformat()} if ranged else None,
        selection=AssetSelection.checks_for_assets(assets_def) if checks_only else None,
    )
    assert result.success
    verdicts = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    return result, verdicts


def _manifest(lake: Path, platform: str, entity: str, day: date) -> Path:
    return lake / "raw" / platform / entity / f"dt={day.isoformat()}" / "_manifest.json"


def _tamper(lake: Path, platform: str, entity: str, day: date, **changes) -> None:
    path = _manifest(lake, platform, entity, day)
    m = json.loads(path.read_text())
    m.update({k: v(m) if callable(v) else v for k, v in changes.items()})
    path.write_text(json.dumps(m))


@pytest.mark.slow
def test_checks_pass_on_landed_days_and_fail_on_tampered_manifests(demo_api, tmp_path):
    lake = tmp_path / "lake"
    instance = DagsterInstance.ephemeral()
    # Three days as one run, as a backfill lands them: every check passes, and no day has the
    # history to be judged against yet.
    _, verdicts = _run("weibo", lake, DAY - timedelta(days=3), DAY - timedelta(days=1), instance=instance)
    assert set(verdicts) == {(e, c) for e in ENTITIES for c in RAW_CHECKS}
    assert all(v.passed for v in verdicts.values()), {k: v.metadata for k, v in verdicts.items() if not v.passed}
    posts_norm = verdicts[("posts", ROW_NORM)].metadata
    assert posts_norm["days_judged"].value == 0 and posts_norm["days_skipped"].value == 3
    assert verdicts[("comments", ACCOUNTING)].metadata["days_balanced"].value == 3

    # The next day has three days of history: it is judged, and it is within the norm.
    result, verdicts = _run("weibo", lake, DAY, instance=instance)
    assert all(v.passed for v in verdicts.values()), {k: v.metadata for k, v in verdicts.items() if not v.passed}
    norm = verdicts[("comments", ROW_NORM)].metadata
    assert norm["days_judged"].value == 1 and norm["history_days"].value == 3
    assert norm["low"].value <= norm["rows"].value <= norm["high"].value
    landed = json.loads(_manifest(lake, "weibo", "comments", DAY).read_text())
    assert norm["rows"].value == landed["landed"]
    assert len(result.get_asset_materialization_events()) == len(ENTITIES)

    # Counts that do not add up, a day with 10x its rows, and quarantines over each threshold.
    _tamper(lake, "weibo", "posts", DAY, fetched=lambda m: m["fetched"] + 7)
    _tamper(lake, "weibo", "comments", DAY, landed=lambda m: m["landed"] * 10,
            fetched=lambda m: m["fetched"] + m["landed"] * 9)
    _tamper(lake, "weibo", "post_metrics", DAY, quarantined=lambda m: m["fetched"] // 9,
            fetched=lambda m: m["fetched"] + m["fetched"] // 9)  # 10 % quarantined
    _tamper(lake, "weibo", "audience", DAY, quarantined=lambda m: m["fetched"],
            fetched=lambda m: m["fetched"] * 2)  # 50 %
    tampered = {e: _manifest(lake, "weibo", e, DAY).read_text() for e in ENTITIES}

    # Without a partition the checks take the platform's latest landed day, DAY.
    result, verdicts = _run("weibo", lake, DAY, checks_only=True, instance=instance)
    assert not result.get_asset_materialization_events()
    assert {v.metadata["day"].value for (_, c), v in verdicts.items() if c == ROW_NORM} == {DAY.isoformat()}
    # The checks read the lake as it is: nothing was pulled again.
    assert {e: _manifest(lake, "weibo", e, DAY).read_text() for e in ENTITIES} == tampered
    failed = {k: v.severity for k, v in verdicts.items() if not v.passed}
    assert failed == {
        ("posts", ACCOUNTING): AssetCheckSeverity.ERROR,
        ("comments", ROW_NORM): AssetCheckSeverity.WARN,
        ("post_metrics", QUARANTINE): AssetCheckSeverity.WARN,
        ("audience", QUARANTINE): AssetCheckSeverity.ERROR,
    }, {k: (v.metadata, v.description) for k, v in verdicts.items() if not v.passed}
    assert verdicts[("posts", ACCOUNTING)].metadata["days_balanced"].value == 0
    assert "fetched" in verdicts[("posts", ACCOUNTING)].description
    spike = verdicts[("comments", ROW_NORM)].metadata
    assert spike["rows"].value == landed["landed"] * 10 and spike["rows"].value > spike["high"].value
    assert verdicts[("audience", QUARANTINE)].metadata["worst_ratio"].value == 0.5

    # Materialising the day again lands it again, and the checks judge the new manifests.
    _, verdicts = _run("weibo", lake, DAY, instance=instance)
    assert all(v.passed for v in verdicts.values())


@pytest.mark.slow
def test_a_hostile_api_quarantining_records_fails_the_quarantine_check_not_the_run(demo_api, tmp_path, monkeypatch):
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer
    from tests.conftest import TOKENS

    settings = CheckSettings()
    # Comment authors lose their ids on a fifth of the answers: those comments cannot land.
    faults = FaultConfig.parse("instagram:schema_drift=0.2,drift=missing_field", seed=3)
    with DemoExportServer(tokens=TOKENS, faults=faults) as server:
        monkeypatch.setenv("KOL_INSTAGRAM_BASE_URL", server.base_url("instagram"))
        result, verdicts = _run("instagram", tmp_path / "lake", DAY)
    assert len(result.get_asset_materialization_events()) == len(ENTITIES)
    assert all(verdicts[(e, ACCOUNTING)].passed for e in ENTITIES)
    check = verdicts[("comments", QUARANTINE)]
    ratio = check.metadata["worst_ratio"].value
    assert not check.passed and ratio > settings.quarantine_warn
    assert check.severity == (AssetCheckSeverity.ERROR if ratio > settings.quarantine_error else AssetCheckSeverity.WARN)
    assert check.metadata["quarantined"].value > 0 and check.metadata["worst_day"].value == DAY.isoformat()
    assert all(verdicts[(e, QUARANTINE)].passed for e in ENTITIES if e != "comments")


def _write_manifests(lake: Path, rows_by_day: dict[date, int], entity: str = "profiles") -> None:
    for day, rows in rows_by_day.items():
        path = _manifest(lake, "x", entity, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"fetched": rows, "landed": rows, "quarantined": 0, "duplicates": 0}))


@pytest.mark.parametrize("history, today, passed, verdict", [
    ([100, 100], 1000, True, "skipped: 2 day(s) of history"),   # too little history to judge
    ([4, 5, 6, 5], 40, True, "skipped: median 5"),              # counts too small for a ratio
    ([100, 90, 110, 100, 2000], 280, True, "within"),           # one odd day does not move the median
    ([100, 90, 110, 100], 1000, False, "10.0x the median"),
    ([100, 90, 110, 100], 0, False, "0.0x the median"),          # a day that landed nothing
])
def test_the_row_count_norm_is_the_median_of_the_previous_landed_days(tmp_path, history, today, passed, verdict):
    days = [DAY - timedelta(days=2 * i) for i in range(len(history), 0, -1)]  # gaps are skipped, not zeros
    _write_manifests(tmp_path, dict(zip(days, history)) | {DAY: today})
    (check,) = evaluate_raw_checks(tmp_path, "x", "profiles", [DAY], CheckSettings(),
                                   selected=[AssetCheckKey(AssetKey(["raw", "x", "profiles"]), ROW_NORM)])
    assert check.passed is passed and check.metadata["verdict"].value.startswith(verdict), check.metadata
    assert check.metadata["history_days"].value == len(history)


def test_a_missing_or_unreadable_slice_fails_the_accounting_of_its_range(tmp_path):
    _write_manifests(tmp_path, {DAY - timedelta(days=2): 10})
    unreadable = _manifest(tmp_path, "x", "profiles", DAY)
    unreadable.parent.mkdir(parents=True)
    unreadable.write_text('{"fetched": 10, "landed"')  # cut short
    days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    checks = {c.check_name: c for c in evaluate_raw_checks(tmp_path, "x", "profiles", days, CheckSettings())}
    accounting = checks[ACCOUNTING]
    assert not accounting.passed and accounting.severity == AssetCheckSeverity.ERROR
    assert accounting.metadata["days_balanced"].value == 1
    problems = accounting.metadata["problems"].value
    assert f"{DAY - timedelta(days=1)}: not landed" in problems and "unreadable manifest" in problems
    # The other checks leave missing slices to this one rather than failing three times over.
    assert checks[QUARANTINE].passed and checks[ROW_NORM].passed


def test_every_raw_asset_has_its_checks_and_every_mart_a_freshness_policy_and_its_dbt_tests():
    from dagster import Definitions

    from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
    from orchestration.definitions import defs
    from orchestration.runs import MARTS

    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    check_keys = set(graph.asset_check_keys)
    # The platforms' raw assets (raw/files/<entity>, the inbox's, is another matter: one asset per file drop).
    raw = [k for k in graph.get_all_asset_keys() if k.path[0] == "raw" and k.path[1] in CONNECTORS]
    assert len(raw) == len(CONNECTORS) * len(ENTITIES) == 45
    for key in raw:
        assert {c.name for c in check_keys if c.asset_key == key} >= set(RAW_CHECKS), key
    assert not [c for c in check_keys if c.asset_key == AssetKey("landed_day")]

    # dbt tests are asset checks of the models they test, on the incremental marts and the rest.
    dbt_checks = set(kol_dbt_daily_marts.check_keys) | set(kol_dbt_models.check_keys)
    for mart in MARTS:
        node = graph.get(AssetKey(mart))
        assert node.freshness_policy is not None, mart
        assert node.freshness_policy.fail_window.to_timedelta() == timedelta(hours=26), mart
        assert any(c.asset_key == AssetKey(mart) for c in dbt_checks), f"{mart} has no dbt test as a check"
    # Only the marts promise freshness: the views under them are as fresh as the marts that read them.
    assert graph.get(AssetKey("stg_weibo__posts")).freshness_policy is None
    assert graph.get(AssetKey(["raw", "weibo", "posts"])).freshness_policy is None


def test_the_freshness_window_of_the_marts_is_configurable(monkeypatch):
    from dagster import AssetSpec

    from orchestration.checks import with_mart_freshness

    monkeypatch.setenv("KOL_MART_FRESHNESS_HOURS", "30")
    mart = {"resource_type": "model", "fqn": ["kol_warehouse", "marts", "daily", "fct_followers_daily"]}
    view = {"resource_type": "model", "fqn": ["kol_warehouse", "staging", "weibo", "stg_weibo__posts"]}
    policy = with_mart_freshness(AssetSpec("fct_followers_daily"), mart).freshness_policy
    assert policy.fail_window.to_timedelta() == timedelta(hours=30)
    assert with_mart_freshness(AssetSpec("stg_weibo__posts"), view).freshness_policy is None
