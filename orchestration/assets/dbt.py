"""dbt models as assets, split as dbt materialises them:

- ``kol_dbt_models``: seeds, views and full tables, rebuilt whole by each run;
- ``kol_dbt_daily_marts``: incremental marts, rebuilt for the run's window of days only.

Both are partitioned by day like the raw assets they read. The views in between gain
nothing from partitions themselves, but Dagster's backfills only carry a date range
through a chain of partitioned assets: with unpartitioned views between the raw
assets and the marts, a backfill launched from the UI would never reach the marts.
Both use a single-run backfill policy, so a backfill of any range costs one dbt
invocation each, and share the ``duckdb_warehouse`` pool, because DuckDB allows
one writing process at a time. Analysts read none of this directly: the daily marts'
step ends by publishing a read-only copy (``orchestration/publish.py``).
"""

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

from dagster import AssetExecutionContext, AssetSpec, BackfillPolicy, Failure
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingestion import settings
from ingestion.lake_upgrade import LakeUpgradeError, upgrade_lake
from orchestration.assets.ingestion import LANDED_DAY
from orchestration.checks import with_mart_freshness
from orchestration.dbt_selection import INCREMENTAL, REBUILT_WHOLE, RUN_EXCLUDES
from orchestration.dbt_vars import window_chunks, window_vars
from orchestration.partitions import daily_partitions
from orchestration.pools import WAREHOUSE_POOL
from orchestration.publish import enrich_and_publish
from orchestration.resources import dbt_project


class KolDbtTranslator(DagsterDbtTranslator):
    """Sources map to the ingestion assets through their meta.dagster.asset_key
    (["raw", platform, entity]); models are grouped by their dbt layer; the first nodes of
    the dbt graph (seeds, staging models) also wait for ``landed_day``."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Optional[DbtProject]) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") not in ("model", "seed", "snapshot"):
            return spec
        # Without the gate a backfill daemon launches each staging model as soon as its own
        # platform's slices land, and each layer above it a tick later: a dozen dbt runs
        # queueing for the one-writer warehouse instead of one.
        dbt_parents = [u for u in (props.get("depends_on") or {}).get("nodes", []) if not u.startswith("source.")]
        spec = spec if dbt_parents else spec.merge_attributes(deps=[LANDED_DAY])
        return with_mart_freshness(spec, props)  # the marts promise yesterday's numbers by morning

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        fqn = dbt_resource_props.get("fqn") or []
        # models/<layer>/...: staging, intermediate, marts; seeds keep dbt's default.
        return f"dbt_{fqn[1]}" if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2 else "dbt_seeds"



@dbt_assets(manifest=dbt_project.manifest_path, select=REBUILT_WHOLE, dagster_dbt_translator=KolDbtTranslator(),
            partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
            name="kol_dbt_models", pool=WAREHOUSE_POOL)
def kol_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    # A backfill may build these models in several runs. dbt's default (eager) test
    # selection would then also run the marts' relationships tests to dim_kol while the
    # marts do not exist yet; "buildable" keeps the tests whose parents this run builds.
    # The marts' own step keeps eager selection, so those tests run there.
    # The window limits the data tests to the days this run is about.
    yield from _dbt_build(dbt, context, ["--indirect-selection", "buildable"], publish=False)


@dbt_assets(manifest=dbt_project.manifest_path, select=INCREMENTAL, dagster_dbt_translator=KolDbtTranslator(),
            partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
            name="kol_dbt_daily_marts", pool=WAREHOUSE_POOL)
def kol_dbt_daily_marts(context: AssetExecutionContext, dbt: DbtCliResource):
    # Whether a follower jump is backed by engagement is judged with the day after it
    # (fct_followers_daily, var engagement_backing_days_after): the nightly run of day N
    # therefore also settles day N-1, which was provisional until N landed.
    # This is the run's last dbt step: analysts get its result as the published copy here,
    # once per run, while the run still holds the warehouse pool (orchestration/publish.py).
    # A long backfill goes a month at a time (KOL_DBT_MAX_WINDOW_DAYS): the trailing measures
    # would otherwise hold every row of the range many times over (orchestration/dbt_vars.py).
    yield from _dbt_build(dbt, context, [], revisit_days=1, publish=True, chunk_days=max_window_days())


def max_window_days() -> int:
    days = int(os.environ.get("KOL_DBT_MAX_WINDOW_DAYS", "31"))
    if days < 1:
        raise ValueError(f"KOL_DBT_MAX_WINDOW_DAYS must be at least 1, got {days}")
    return days


def _dbt_build(dbt: DbtCliResource, context: AssetExecutionContext, extra_args: list[str], revisit_days: int = 0,
               publish: bool = False, chunk_days: int | None = None):
    _lake_on_contract(context)
    window = context.partition_time_window
    dbt_vars = window_vars(window.start, window.end, revisit_days=revisit_days)
    chunks = window_chunks(dbt_vars, chunk_days) if chunk_days else [dbt_vars]
    context.log.info(f"dbt window {dbt_vars['min_date']} .. {dbt_vars['max_date']}"
                     + (f" in {len(chunks)} invocations of at most {chunk_days} days" if len(chunks) > 1 else ""))
    # Every chunk builds the same models: the earlier ones run to completion (a failure stops
    # the step), the last one's events are the step's materialisations, once per asset.
    for chunk in chunks[:-1]:
        dbt.cli(["build", "--vars", json.dumps(chunk), *RUN_EXCLUDES, *extra_args], context=context,
                target_path=dbt_target_path()).wait()
    events = dbt.cli(["build", "--vars", json.dumps(chunks[-1]), *RUN_EXCLUDES, *extra_args], context=context,
                     target_path=dbt_target_path()).stream()
    yield from enrich_and_publish(context, events, dbt_vars, publish=publish)


def _lake_on_contract(context: AssetExecutionContext) -> None:
    """dbt reads each lake table as if all its files had the schema of the first one (the sources
    do without union_by_name, whose cost grows with history): bring any file landed under an older
    contract to the current one first. One small file read once the lake is recorded current."""
    lake = settings.lake_dir()
    try:
        report = upgrade_lake(lake)
    except LakeUpgradeError as exc:
        raise Failure(description=f"the lake is not on the current data contract: {exc}") from None
    if not report.recorded_current:
        context.log.info(f"lake contract: {report.checked} files checked, {len(report.upgraded)} rewritten"
                         + (f" (first: {', '.join(report.upgraded[:5])})" if report.upgraded else ""))


def dbt_target_path(keep: int = 20) -> Path:
    """A fresh target directory per invocation, under the data directory rather than the
    source tree, keeping only the newest few (dagster-dbt never removes them)."""
    root = settings.data_dir() / "dbt_runs"
    root.mkdir(parents=True, exist_ok=True)
    for old in sorted(root.iterdir(), key=lambda p: p.stat().st_mtime)[:-keep or None]:
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="build-", dir=root))
