"""Resources: where the lake and the warehouse are, and the dbt CLI pointed at them."""
from __future__ import annotations

import os
import shutil
import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from ingestion import settings
from orchestration import engine

DBT_PROJECT_DIR = settings.REPO_ROOT / "dbt_project"


def export_paths_to_env() -> None:
    """dbt runs as a subprocess and reads its paths from the environment: give it
    the same absolute paths the ingestion side uses, so both agree on one lake.
    Explicit settings win: this only fills what is unset."""
    # dbt lives beside this interpreter (the project's venv), which need not be on PATH.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("KOL_LAKE_DIR", str(settings.lake_dir()))
    os.environ.setdefault("KOL_WAREHOUSE_PATH", str(settings.warehouse_path()))
    # The spark target's marts and metastore, beside the DuckDB file (orchestration/engine.py).
    os.environ.setdefault("KOL_SPARK_WAREHOUSE_DIR", str(engine.spark_warehouse_dir(settings.data_dir())))
    settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)


export_paths_to_env()

def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any file dbt reads."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [p for d in ("models", "macros", "seeds", "tests") for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file()]
    sources += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return any(p.stat().st_mtime > built for p in sources)


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if manifest_is_stale(dbt_project):
    # A fresh clone, or edited models: parse (about 2 s) rather than load an old graph.
    dbt_project.preparer.prepare(dbt_project)
else:
    dbt_project.prepare_if_dev()


class LakeResource(ConfigurableResource):
    """The Parquet lake that ingestion lands into: ``lake_dir`` when set, else KOL_LAKE_DIR as
    it is when the run reads it (not when the code location was loaded), so that ingestion and
    dbt, which reads the environment, always agree."""

    lake_dir: str = ""

    @property
    def path(self) -> Path:
        return Path(self.lake_dir) if self.lake_dir else settings.lake_dir()


class KolDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without a ``dbt --version`` subprocess at every step.

    dagster-dbt runs ``dbt --version`` once per resource instance, so once per dbt step, to
    tell dbt-core from the Fusion engine: 1.3 s of dbt's imports each time on two cores
    (docs/benchmarks.md, item 12). When the ``dbt`` it runs is the one installed beside this
    interpreter, its version is the installed dbt-core's; any other executable is asked."""

    @cached_property
    def _cli_version(self) -> version.Version:
        found = shutil.which(self.dbt_executable)
        if found and Path(found).parent.resolve() == Path(sys.executable).parent.resolve():
            return version.parse(metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)


def build_resources() -> dict:
    # KOL_DBT_TARGET picks the engine, duckdb (target dev, the default) or spark.
    return {"lake": LakeResource(), "dbt": KolDbtCliResource(project_dir=dbt_project, target=engine.dbt_target())}
