"""Which engine dbt builds the warehouse with: env var KOL_DBT_TARGET.

    duckdb (default; `dev` is the same)  dbt target `dev`: one DuckDB file, KOL_WAREHOUSE_PATH.
    spark                                dbt target `spark`: dbt-spark's session method, PySpark in
                                         local mode in the dbt process; Parquet marts under
                                         KOL_SPARK_WAREHOUSE_DIR (default <data>/spark-warehouse).

Both read the same lake (KOL_LAKE_DIR) and build the same marts (tests/test_spark.py). What reads
the DuckDB file itself works with duckdb only, and is skipped with a log line on spark: the
published read-only copy for analysts (orchestration/publish.py, warehouse_copy.py, kolctl and the
HTML report read it), the row counts and previews attached to the marts' materialisations, and
the summary `make demo` prints.
The raw-slice asset checks read the lake and work on both. dbt's data tests are portable SQL and
run on both, but the test suite checks only the models' build on spark (tests/test_spark.py); its
unit tests, whose fixtures are DuckDB SQL, are enabled on duckdb only (dbt_project.yml).
docs/scaling.md says more.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "KOL_DBT_TARGET"
# engine name -> dbt target in dbt_project/profiles.yml
TARGETS = {"duckdb": "dev", "spark": "spark"}
ALIASES = {"dev": "duckdb"}


def warehouse_engine(value: str | None = None) -> str:
    """'duckdb' or 'spark', from ``value`` or KOL_DBT_TARGET (unset or empty: duckdb)."""
    raw = (os.environ.get(ENV, "") if value is None else value).strip().lower() or "duckdb"
    engine = ALIASES.get(raw, raw)
    if engine not in TARGETS:
        raise ValueError(f"{ENV}={raw!r} names no warehouse engine; use one of {', '.join(TARGETS)}")
    return engine


def dbt_target(value: str | None = None) -> str:
    """The dbt target (profiles.yml) of the engine that ``value`` or KOL_DBT_TARGET selects."""
    return TARGETS[warehouse_engine(value)]


def is_duckdb() -> bool:
    return warehouse_engine() == "duckdb"


def spark_warehouse_dir(data_dir: Path) -> Path:
    """Where Spark writes the marts (and keeps its metastore): KOL_SPARK_WAREHOUSE_DIR, by default
    next to the DuckDB warehouse in the data directory."""
    return Path(os.environ.get("KOL_SPARK_WAREHOUSE_DIR", data_dir / "spark-warehouse")).resolve()
