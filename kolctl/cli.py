"""The ``kol`` command: ``sql``, ``top``, ``explain`` and ``report`` over the published,
read-only warehouse ($KOL_PUBLISHED_DIR/warehouse.duckdb, or --warehouse).

Exit codes: 0 done; 1 the question has no answer (bad SQL, a write refused, an unknown handle,
a date without data); 2 bad usage (an unknown option, a malformed date or handle); 3 no
warehouse to read.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional, Sequence

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kolctl import settings
from kolctl.warehouse import COMPONENTS, LEADERBOARD_COLUMNS, REGIONS, KolError, check_choice, connect

app = typer.Typer(
    name="kol", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    help="Ask the KOL warehouse: SQL, the leaderboard, why a KOL scored what it did, an HTML report.",
    epilog="Reads $KOL_PUBLISHED_DIR/warehouse.duckdb (default data/published/) unless --warehouse is given. "
           "Exit codes: 0 done, 1 no answer (bad SQL, write refused, unknown handle, date without data), "
           "2 bad usage, 3 no warehouse.")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _parse_date(value: Optional[str]) -> Optional[date]:
    if value is None or value.lower() == "latest":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-24 (or 'latest')",
                                 param_hint="'--date'") from None


WarehouseOpt = Annotated[Optional[Path], typer.Option(
    "--warehouse", "-w", show_default=False, dir_okay=False,
    help="DuckDB file to read [default: $KOL_PUBLISHED_DIR/warehouse.duckdb].")]
DateOpt = Annotated[Optional[str], typer.Option(
    "--date", "-d", show_default=False, help="Day to look at, YYYY-MM-DD [default: the latest scored day].")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: a table, CSV or JSON.")]


# ---- plumbing --------------------------------------------------------------------------------

def _out() -> Console:
    # Piped or captured output is not cut to 80 columns: a table is for reading, not wrapping.
    return Console(width=None if sys.stdout.isatty() else 200, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except KolError as exc:
        err = _err()
        err.print(f"[bold red]Error:[/] {escape(str(exc))}")
        if exc.hint:
            err.print(f"[yellow]Hint:[/] {escape(exc.hint)}")
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def _warehouse(path: Optional[Path]):
    con = connect(path or settings.published_warehouse())
    try:
        yield con
    finally:
        con.close()


def _spinner(message: str):
    err = _err()
    return err.status(message) if err.is_terminal else nullcontext()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]NULL[/]"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return escape(str(value))


def _emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format, *, title: str | None = None,
          max_rows: int | None = None, caption: str | None = None) -> None:
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else _plain(v) for v in row])
        typer.echo(buf.getvalue(), nl=False)
        return
    if fmt is Format.json:
        typer.echo(json.dumps([{c: _plain(v) for c, v in zip(columns, row)} for row in rows], ensure_ascii=False,
                              indent=2))
        return
    shown = rows if max_rows is None else rows[:max_rows]
    table = Table(title=title, caption=caption, header_style="bold")
    for i, column in enumerate(columns):
        numeric = any(isinstance(r[i], (int, float, Decimal)) and not isinstance(r[i], bool) for r in shown)
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in shown:
        table.add_row(*(_cell(v) for v in row))
    out = _out()
    out.print(table)
    if len(shown) < len(rows):
        _err().print(f"[dim]{len(rows) - len(shown)} more rows not shown: raise --max-rows, or use --format csv.[/]")
    elif not rows:
        _err().print("[dim](no rows)[/]")


# ---- commands --------------------------------------------------------------------------------

@app.command()
def sql(
    query: Annotated[str, typer.Argument(help='SQL to run, e.g. "select * from dim_kol limit 5"; - reads it from stdin.')],
    format: FormatOpt = Format.table,
    warehouse: WarehouseOpt = None,
    max_rows: Annotated[int, typer.Option(min=1, help="Rows a table shows (CSV and JSON print all).")] = 1000,
) -> None:
    """Run read-only SQL against the warehouse and print the result."""
    from kolctl.warehouse import run_sql

    if query == "-":
        query = sys.stdin.read()
    with _errors(), _warehouse(warehouse) as con:
        with _spinner("running the query"):
            result = run_sql(con, query)
        _emit(result.columns, result.rows, format, max_rows=max_rows if format is Format.table else None)


@app.command()
def top(
    platform: Annotated[Optional[str], typer.Option("--platform", "-p", help="e.g. weibo, instagram.")] = None,
    niche: Annotated[Optional[str], typer.Option("--niche", "-n", help="e.g. beauty, tech.")] = None,
    tier: Annotated[Optional[str], typer.Option("--tier", "-t", help="sub_nano, nano, micro, mid, macro or mega.")] = None,
    region: Annotated[Optional[str], typer.Option("--region", "-r", help="East or West.")] = None,
    day: DateOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-l", min=1, help="How many KOLs.")] = 20,
    format: FormatOpt = Format.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """The credibility leaderboard of a day, best first, with filters."""
    from kolctl.warehouse import filter_choices, leaderboard, resolve_date

    when = _parse_date(day)
    with _errors(), _warehouse(warehouse) as con:
        when = resolve_date(con, when)
        choices = filter_choices(con)
        chosen = {"platform": check_choice("platform", platform, choices["platform"]),
                  "niche": check_choice("niche", niche, choices["niche"]),
                  "tier": check_choice("tier", tier, choices["tier"]),
                  "region": check_choice("region", region, list(REGIONS))}
        rows = leaderboard(con, when, limit=limit, **chosen)
        filters = ", ".join(f"{k}={v}" for k, v in chosen.items() if v)
        if not rows:
            raise KolError(f"no scored KOL with {filters} on {when}",
                           "Loosen a filter, or try another --date; `kol top` alone shows everyone.")
        if format is not Format.table:
            _emit(LEADERBOARD_COLUMNS, [[r[c] for c in LEADERBOARD_COLUMNS] for r in rows], format)
            return
        short = {"reach_momentum": "reach", "community_engagement": "engage", "reciprocity": "recip",
                 "expertise_focus": "expert", "retail_sway": "retail", "authenticity": "auth"}
        columns = ["#", "platform", "handle", "tier", "niche", "followers", "score", "pct", *short.values()]
        table_rows = [[r["rank"], r["platform"], r["handle"], r["tier"], r["niche"], r["followers"],
                       float(r["credibility_score"]),
                       None if r["percentile_in_platform_tier"] is None else round(r["percentile_in_platform_tier"], 2),
                       *(None if r[f"{c}_points"] is None else float(r[f"{c}_points"]) for c in COMPONENTS)]
                      for r in rows]
        _emit(columns, table_rows, format,
              title=f"Top {len(rows)} KOLs on {when}" + (f" ({filters})" if filters else ""),
              caption="score = the sum of the six components' points; pct = percentile in platform and tier. "
                      "kol explain platform:handle shows why.")


@app.command()
def explain(
    account: Annotated[str, typer.Argument(metavar="PLATFORM:HANDLE", help="e.g. weibo:穿搭09; platform:account_id works too.")],
    day: DateOpt = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """Why a KOL scored what it did: every component with its inputs, percentile and weight."""
    from kolctl.explain import explain as build
    from kolctl.warehouse import parse_ref, resolve_account, resolve_date

    when = _parse_date(day)
    if format is Format.csv:
        raise typer.BadParameter("explain prints a table or json", param_hint="--format")
    try:
        parse_ref(account)
    except KolError as exc:
        raise typer.BadParameter(f"{exc} ({exc.hint})", param_hint="PLATFORM:HANDLE") from None
    with _errors(), _warehouse(warehouse) as con:
        found = resolve_account(con, account)
        when = resolve_date(con, when)
        doc = build(con, found, when)
    if format is Format.json:
        typer.echo(json.dumps(_plain(doc), ensure_ascii=False, indent=2))
        return
    _print_explanation(doc)


def _print_explanation(doc: dict[str, Any]) -> None:
    out = _out()
    pct = doc["credibility_percentile_in_platform_tier"]
    out.print(f"[bold]{escape(doc['platform'])}:{escape(doc['handle'])}[/] ({escape(doc['account_key'])}, "
              f"{doc['region']}, {doc['tier']} tier, niche {escape(doc['niche'] or '–')}, "
              f"{doc['followers']:,} followers) on {doc['date']}")
    if doc["credibility_score"] is None:
        out.print(f"[bold]No score[/]: the known components weigh {doc['known_weight']}, below the "
                  f"{doc['min_known_weight']} a score needs (credibility_min_known_weight).")
    else:
        out.print(f"Credibility [bold]{doc['credibility_score']:.2f}[/] / 100"
                  + (f", percentile {pct:.2f} in {doc['platform']} · {doc['tier']}" if pct is not None else "")
                  + f"; known weight {doc['known_weight']} of 100")
    table = Table(header_style="bold", caption=doc["points_rule"])
    for name, justify in (("component", "left"), ("value", "right"), ("subscore", "right"),
                          (f"percentile in {doc['platform']} · {doc['tier']}", "right"), ("weight", "right"),
                          ("points", "right")):
        table.add_column(name, justify=justify)
    for c in doc["components"]:
        table.add_row(c["component"], _fmt(c["value"], c["component"]), _fmt(c["subscore"]),
                      _fmt(c["percentile_in_platform_tier"]), str(c["weight"]),
                      "[dim]unknown: left out[/]" if not c["known"] else _fmt(c["points"]))
    out.print(table)
    for c in doc["components"]:
        out.print(f"[bold]{c['component']}[/] ({escape(c['value_is'])})")
        out.print(f"  inputs: {escape(c['inputs'])}")
        out.print(f"  rule:   {escape(c['rule'])}")


def _fmt(value: Any, component: str | None = None) -> str:
    if value is None:
        return "–"
    if component in {"reach_momentum", "community_engagement", "reciprocity", "expertise_focus", "retail_sway"}:
        return f"{float(value):.2%}"
    return f"{float(value):.2f}"


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", dir_okay=False, help="HTML file to write.")] = Path("report.html"),
    day: DateOpt = None,
    handle: Annotated[Optional[str], typer.Option(
        "--handle", metavar="PLATFORM:HANDLE", show_default=False,
        help="Whose follower curve to draw [default: the account with the most suspicious growth days].")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """A self-contained HTML report: scores per platform, East vs West reply rates, a follower curve with suspicious growth marked, the leaderboard."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from kolctl.report import STEPS, build_report
    from kolctl.warehouse import resolve_date

    when = _parse_date(day)
    source = warehouse or settings.published_warehouse()
    with _errors(), _warehouse(warehouse) as con:
        when = resolve_date(con, when)
        progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TimeElapsedColumn(), console=_err(), transient=False)
        with progress:
            task = progress.add_task("building the report", total=len(STEPS))

            def step(name: str) -> None:
                progress.update(task, advance=1, description=name.replace("-", " "))

            done = build_report(con, out, when, handle=handle, source=str(source), step=step)
    _out().print(f"wrote {done.path} ({done.bytes / 1024:.0f} KB) for {done.day}: {len(done.charts)} charts "
                 f"({', '.join(done.charts)}); follower curve of {done.follower_account}")
