"""What the dbt steps add to dbt's own events: row counts, paths and a preview of the top
KOLs on the marts' materialisations, and, at the end of the daily marts' step, the
published copy for analysts (``orchestration/warehouse_copy.py``).

Both need the warehouse, which the dbt process holds open for writing while it runs: the
events of tables (and of the models downstream of them, which Dagster wants after them) are
therefore held until dbt exits, then enriched and yielded. In the models' step, whose nodes
are mostly views and their tests, every other event is yielded as dbt streams it (a seed's
row count is read from its CSV), so that Dagster records it while dbt works instead of after
(a few hundred event-log writes: docs/benchmarks.md). The
publish happens inside the same step, so the run still holds the ``duckdb_warehouse``
pool: no other run writes the warehouse while it is copied, and a backfill or nightly run
publishes once, at its end, and only if dbt succeeded (a failed test leaves analysts on the
previous complete state).

``python -m orchestration.publish`` publishes the current warehouse by hand (after a
``make dbt-build``, say); no dbt may run meanwhile.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, Failure, MetadataValue, Output

from ingestion import settings
from orchestration import engine
from orchestration import warehouse_copy
from orchestration.runs import MARTS

CREDIBILITY = "fct_kol_credibility_daily"
COMPONENTS = ("reach_momentum", "community_engagement", "reciprocity", "expertise_focus", "retail_sway",
              "authenticity")
TOP_KOLS = 10


def enrich_and_publish(context: AssetExecutionContext, events: Iterable[Any], window: Mapping[str, str],
                       publish: bool) -> Iterator[Any]:
    """Yield dbt's ``events``: those of tables (and of what they feed) once dbt has exited,
    with their metadata, the others as they come (the models' step only); with ``publish``,
    hold every event and publish the warehouse first (only if dbt succeeded)."""
    collected, failure = [], None
    # The marts' step publishes first, then reports: it holds every event. The models' step
    # holds only what the warehouse enriches (tables) and what Dagster wants after them.
    streamed = None if publish or context is None else streamed_nodes()
    try:
        for event in events:
            model = _event_model(context, event) if streamed is not None else None
            if streamed is not None and model in streamed:
                seed_rows = streamed[model]
                if seed_rows is not None and isinstance(event, (Output, AssetMaterialization)):
                    event = event.with_metadata({
                        **(event.metadata or {}), "dagster/row_count": seed_rows,
                        **_location_metadata(settings.warehouse_path(), warehouse_copy.published_dir())})
                yield event
            else:
                collected.append(event)
    except Exception as exc:  # dbt failed: what it built is still reported, nothing is published
        failure = exc
    if failure is not None:
        yield from collected
        raise failure

    warehouse = settings.warehouse_path()
    published, publish_error = None, None
    duckdb_warehouse = engine.is_duckdb()
    if publish and not duckdb_warehouse:
        # The published copy is a DuckDB file (and its marts' Parquet): on Spark the marts are
        # Parquet tables already, in KOL_SPARK_WAREHOUSE_DIR, and analysts read them there.
        context.log.info(f"KOL_DBT_TARGET={engine.warehouse_engine()}: no DuckDB copy to publish; the marts are "
                         f"Parquet tables under {engine.spark_warehouse_dir(settings.data_dir())}")
    if publish and duckdb_warehouse:
        try:
            published = warehouse_copy.publish(warehouse, MARTS, note={
                "run_id": context.run.run_id, "job": context.run.job_name,
                "min_date": window["min_date"], "max_date": window["max_date"]})
            context.log.info(f"published {published.version} to {published.directory} in {published.seconds}s: "
                             f"{len(published.tables)} tables, {len(published.marts)} marts as Parquet"
                             + (f"; pruned {', '.join(published.pruned)}" if published.pruned else ""))
        except Exception as exc:  # the marts are built: report them, then fail the step on this
            publish_error = exc
    report = None
    if published is not None:
        try:  # the HTML report of the new state, linked from the credibility mart
            from kolctl.report import write_latest_report

            report = write_latest_report()
            context.log.info(f"report of {report.day} written to {report.path}")
        except Exception as exc:  # a picture is not worth failing a published run over
            context.log.warning(f"no HTML report this run: {exc!r}")

    keys = {_asset_key(context, e): e for e in collected if isinstance(e, (Output, AssetMaterialization))}
    try:  # row counts and previews are read from the DuckDB file: duckdb only
        extra = materialization_metadata(warehouse, [k.path[-1] for k in keys], window, published) \
            if duckdb_warehouse else {}
    except Exception as exc:  # a preview is not worth losing the materialisations over
        context.log.warning(f"no row counts or preview for this step: {exc!r}")
        extra = {}
    if report is not None:
        extra.setdefault(CREDIBILITY, {})["latest_report"] = MetadataValue.path(str(report.path))
    for event in collected:
        if isinstance(event, (Output, AssetMaterialization)):
            more = extra.get(_asset_key(context, event).path[-1])
            if more:
                event = event.with_metadata({**(event.metadata or {}), **more})
        yield event

    if publish_error is not None:
        raise Failure(description=f"the marts were built but not published: {publish_error}",
                      metadata={"warehouse_path": MetadataValue.path(str(warehouse)),
                                "published_path": MetadataValue.path(str(warehouse_copy.published_dir()))})


def streamed_nodes() -> dict[str, int | None]:
    """The dbt nodes whose events the models' step yields as dbt streams them, from the
    project's manifest: views that no table of the project feeds (Dagster wants an asset
    yielded after those it depends on, and a table's event waits for dbt to exit), mapped to
    None, and seeds, mapped to their CSV's rows (what the warehouse would count)."""
    import csv
    import json

    from orchestration.resources import dbt_project

    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"]
    held = {uid for uid, n in nodes.items()
            if n["resource_type"] == "model" and n["config"].get("materialized") in ("table", "incremental")}
    grew = True
    while grew:  # and every model downstream of one, however far
        grew = False
        for uid, n in nodes.items():
            if n["resource_type"] == "model" and uid not in held and held.intersection(n["depends_on"]["nodes"]):
                held.add(uid)
                grew = True
    streamed: dict[str, int | None] = {}
    for uid, n in nodes.items():
        if n["resource_type"] == "model" and uid not in held:
            streamed[n["name"]] = None
        elif n["resource_type"] == "seed":
            with open(Path(dbt_project.project_dir) / n["original_file_path"], newline="", encoding="utf-8") as f:
                streamed[n["name"]] = max(sum(1 for _ in csv.reader(f)) - 1, 0)
    return streamed


def _event_model(context: AssetExecutionContext, event: Any) -> str | None:
    """The model an event of dbt's stream is about: the last part of its asset key."""
    if isinstance(event, Output):
        return context.asset_key_for_output(event.output_name).path[-1]
    key = getattr(event, "asset_key", None)
    return key.path[-1] if isinstance(key, AssetKey) else None


def _asset_key(context: AssetExecutionContext, event: Output | AssetMaterialization) -> AssetKey:
    return event.asset_key if isinstance(event, AssetMaterialization) else context.asset_key_for_output(event.output_name)


def _location_metadata(warehouse: Path, published_dir: Path) -> dict[str, Any]:
    """Where a relation is written, and where analysts read it."""
    return {"warehouse_path": MetadataValue.path(str(warehouse)),
            "published_path": MetadataValue.path(str(published_dir / warehouse_copy.PUBLISHED_FILE))}


def materialization_metadata(warehouse: Path, tables: Iterable[str], window: Mapping[str, str],
                             published: warehouse_copy.Published | None = None) -> dict[str, dict[str, Any]]:
    """Per table of ``tables`` that the warehouse holds: its rows (``dagster/row_count``, the
    total) and, for tables by day, the rows of the window; where it is and where analysts
    read it; for the credibility mart, the top KOLs of the window's latest day."""
    import duckdb

    published_dir = published.directory if published else warehouse_copy.published_dir()
    out: dict[str, dict[str, Any]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_day = dict(con.execute(
            "select table_name, bool_or(column_name = 'date_day') from duckdb_columns() "
            "where schema_name = 'main' and table_name in (select table_name from duckdb_tables() "
            "where schema_name = 'main') group by table_name").fetchall())
        for table in tables:
            if table not in by_day:
                continue  # a view: counting it would run its query
            meta: dict[str, Any] = _location_metadata(warehouse, published_dir)
            if by_day[table]:
                total, in_window = con.execute(
                    f'select count(*), count(*) filter (where date_day between ?::date and ?::date) from "{table}"',
                    [window["min_date"], window["max_date"]]).fetchone()
                meta |= {"dagster/row_count": total, "rows_in_window": in_window,
                         "window": f"{window['min_date']} .. {window['max_date']}"}
            else:
                meta["dagster/row_count"] = con.execute(f'select count(*) from "{table}"').fetchone()[0]
            if table in MARTS:
                meta["published_parquet"] = MetadataValue.path(
                    str(published_dir / warehouse_copy.MARTS_LINK / f"{table}.parquet"))
            if published is not None:
                meta["published_version"] = published.version
            if table == CREDIBILITY:
                day, rows = top_kols(con, window)
                meta["top_kols"] = MetadataValue.md(top_kols_markdown(day, rows))
            out[table] = meta
    return out


def top_kols(con, window: Mapping[str, str], limit: int = TOP_KOLS) -> tuple[date | None, list[tuple]]:
    """The best scores of the window's latest scored day: platform, handle as of that day,
    tier, niche, score and the six components' points."""
    points = ", ".join(f"c.{c}_points" for c in COMPONENTS)
    rows = con.execute(f"""
        with latest as (
            select max(date_day) as day from {CREDIBILITY}
            where date_day between ?::date and ?::date and credibility_score is not null
        )
        select c.date_day, c.platform, coalesce(h.handle, k.handle, c.account_id), c.tier, c.niche,
               c.credibility_score, {points}
        from {CREDIBILITY} as c
        join latest on c.date_day = latest.day
        left join dim_kol_history as h
          on h.account_key = c.account_key and h.valid_from <= c.date_day
         and (h.valid_to is null or c.date_day < h.valid_to)
        left join dim_kol as k on k.account_key = c.account_key
        where c.credibility_score is not null
        order by c.credibility_score desc, c.account_key
        limit {int(limit)}""", [window["min_date"], window["max_date"]]).fetchall()
    return (rows[0][0] if rows else None), [r[1:] for r in rows]


def top_kols_markdown(day: date | None, rows: list[tuple]) -> str:
    if not rows:
        return "No credibility score in this window."
    header = ["#", "platform", "handle", "tier", "niche", "score", *COMPONENTS]
    lines = [f"Top {len(rows)} KOLs on {day}, by credibility score (points per component):", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rank, (platform, handle, tier, niche, score, *points) in enumerate(rows, 1):
        cells = [rank, platform, _md(handle), tier, niche or "–", _num(score), *(_num(p) for p in points)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def _num(value) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m orchestration.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path())
    parser.add_argument("--target", type=Path, default=warehouse_copy.published_dir())
    args = parser.parse_args(argv)
    done = warehouse_copy.publish(args.warehouse, MARTS, args.target, note={"by": "command line"})
    print(f"published {done.version}: {done.duckdb_path} ({len(done.tables)} tables) and "
          f"{done.marts_dir}/<mart>.parquet ({len(done.marts)} marts) in {done.seconds}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
