"""KOL_DBT_TARGET picks the engine dbt builds the warehouse with (orchestration/engine.py): duckdb
(target dev) unless it says spark; the Dagster dbt resource and dbt's profile agree on it."""
import pytest
import yaml

from orchestration import engine
from orchestration.resources import DBT_PROJECT_DIR


@pytest.mark.parametrize("value, engine_name, target", [
    (None, "duckdb", "dev"), ("", "duckdb", "dev"), ("duckdb", "duckdb", "dev"), ("dev", "duckdb", "dev"),
    ("DuckDB", "duckdb", "dev"), ("spark", "spark", "spark"), (" Spark ", "spark", "spark"),
])
def test_the_setting_resolves_to_its_dbt_target(monkeypatch, value, engine_name, target):
    if value is None:
        monkeypatch.delenv(engine.ENV, raising=False)
    else:
        monkeypatch.setenv(engine.ENV, value)
    assert engine.warehouse_engine() == engine_name
    assert engine.dbt_target() == target
    assert engine.is_duckdb() == (engine_name == "duckdb")


def test_an_unknown_engine_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(engine.ENV, "snowflake")
    with pytest.raises(ValueError, match="duckdb, spark"):
        engine.dbt_target()


@pytest.mark.parametrize("value, target", [(None, "dev"), ("spark", "spark")])
def test_the_dagster_dbt_resource_runs_the_selected_target(monkeypatch, value, target):
    from orchestration.resources import build_resources

    if value is None:
        monkeypatch.delenv(engine.ENV, raising=False)
    else:
        monkeypatch.setenv(engine.ENV, value)
    assert build_resources()["dbt"].target == target


def test_every_engine_has_its_target_in_the_dbt_profile():
    outputs = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["kol_warehouse"]["outputs"]
    assert set(engine.TARGETS.values()) <= set(outputs)
    assert outputs["dev"]["type"] == "duckdb"
    assert outputs["spark"]["type"] == "spark" and outputs["spark"]["method"] == "session"
