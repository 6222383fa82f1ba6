"""dbt models as assets, split as dbt materialises them:

- ``kol_dbt_models``: seeds, views and full tables, unpartitioned: rebuilt when code changes;
- ``kol_dbt_daily_marts``: incremental marts, partitioned by day, one dbt invocation
  for a whole backfill range (single-run backfill policy).
"""

import json
from typing import Any, Mapping, Optional

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_vars import window_vars
from orchestration.partitions import daily_partitions
from orchestration.resources import dbt_project

INCREMENTAL = "config.materialized:incremental"


class KolDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # Sources carry meta.dagster.asset_key = ["raw", platform, entity], the ingestion assets' keys.
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        fqn = dbt_resource_props.get("fqn") or []
        # models/<layer>/...: staging, intermediate, marts; seeds keep dbt's default.
        return f"dbt_{fqn[1]}" if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2 else "dbt_seeds"


@dbt_assets(manifest=dbt_project.manifest_path, exclude=INCREMENTAL, dagster_dbt_translator=KolDbtTranslator(),
            name="kol_dbt_models")
def kol_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(manifest=dbt_project.manifest_path, select=INCREMENTAL, dagster_dbt_translator=KolDbtTranslator(),
            partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
            name="kol_dbt_daily_marts")
def kol_dbt_daily_marts(context: AssetExecutionContext, dbt: DbtCliResource):
    window = context.partition_time_window
    dbt_vars = window_vars(window.start, window.end)
    context.log.info(f"dbt window {dbt_vars['min_date']} .. {dbt_vars['max_date']}")
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
