"""Read-only access to the warehouse, the errors an analyst can act on, and the look-ups
the commands share (dates with scores, accounts by handle, the leaderboard)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import duckdb

CREDIBILITY = "fct_kol_credibility_daily"
COMPONENTS = ("reach_momentum", "community_engagement", "reciprocity", "expertise_focus", "retail_sway",
              "authenticity")
REGIONS = ("East", "West")

# Statement types `kol sql` runs. Everything else (INSERT, CREATE, COPY ... TO, ATTACH, EXPORT,
# INSTALL, ...) is refused before DuckDB sees it; the read-only connection is the second line.
READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "SET", "VARIABLE_SET", "MULTI"}

EXIT_QUERY = 1  # the command ran but its question has no answer (bad SQL, unknown handle, no data)
EXIT_NO_WAREHOUSE = 3  # nothing to read


class KolError(Exception):
    """A problem the user can fix: ``str()`` names it, ``hint`` says how."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = EXIT_QUERY):
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    how = ("Build the demo warehouse with `make demo` (it publishes to data/published/), "
           "or point --warehouse or KOL_PUBLISHED_DIR at a published warehouse.duckdb.")
    if not path.exists():
        raise KolError(f"no warehouse at {path}", how, EXIT_NO_WAREHOUSE)
    if not path.is_file():
        raise KolError(f"{path} is not a file", how, EXIT_NO_WAREHOUSE)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise KolError(f"{path} is held open for writing by another process ({_first_line(exc)})",
                           "Read the published copy (the default, $KOL_PUBLISHED_DIR/warehouse.duckdb), "
                           "not the live warehouse that dbt writes.", EXIT_NO_WAREHOUSE) from exc
        raise KolError(f"{path} cannot be opened as a DuckDB database: {_first_line(exc)}", how,
                       EXIT_NO_WAREHOUSE) from exc
    except duckdb.Error as exc:
        raise KolError(f"{path} cannot be opened as a DuckDB database: {_first_line(exc)}", how,
                       EXIT_NO_WAREHOUSE) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_tables(con, *tables: str) -> None:
    have = {t for (t,) in con.execute("select table_name from duckdb_tables() union all "
                                      "select view_name from duckdb_views()").fetchall()}
    missing = [t for t in tables if t not in have]
    if missing:
        raise KolError(f"the warehouse has no {', '.join(missing)}",
                       "Is this a kol-warehouse built by `dbt build` (or `make demo`)? "
                       "`kol sql \"show tables\"` lists what it holds.", EXIT_NO_WAREHOUSE)


# ---- sql -------------------------------------------------------------------------------------

@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def run_sql(con, sql: str) -> Result:
    """Every statement of ``sql`` in order, once all of them have been checked to only read;
    the last one's rows."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise KolError(f"DuckDB cannot parse the query: {exc}", _sql_hint(exc)) from exc
    if not statements:
        raise KolError("the query is empty", 'Pass one, e.g. kol sql "select * from dim_kol limit 5".')
    for number, statement in enumerate(statements, 1):
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            where = f" (statement {number})" if len(statements) > 1 else ""
            raise KolError(
                f"kol sql only reads: {kind} statements are refused{where}",
                "The published warehouse is a read-only copy for analysts. To keep results, use "
                "--format csv or json and redirect them to a file; to build tables of your own, open "
                "a DuckDB database of your own and ATTACH the warehouse (READ_ONLY).")
    cursor = None
    try:
        for statement in statements:
            cursor = con.execute(statement)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise KolError(str(exc).strip(), _sql_hint(exc)) from exc
    return Result(columns, rows)


def _sql_hint(exc: BaseException) -> str:
    if isinstance(exc, duckdb.CatalogException):
        return 'List the tables with kol sql "show tables"; docs/analyst-guide.md describes the marts.'
    if isinstance(exc, duckdb.BinderException):
        return 'List a table\'s columns with kol sql "describe <table>".'
    if isinstance(exc, duckdb.ParserException):
        return ("Check the syntax near the marked position; quote the whole query in double quotes "
                "and the strings inside it in single quotes.")
    if isinstance(exc, duckdb.ConversionException):
        return "Cast explicitly, e.g. date '2026-11-24' or '42'::integer."
    return "The message above is DuckDB's; docs/analyst-guide.md has example queries."


# ---- dates -----------------------------------------------------------------------------------

def scored_dates(con) -> list[date]:
    return [d for (d,) in con.execute(f"select distinct date_day from {CREDIBILITY} "
                                      "where credibility_score is not null order by 1").fetchall()]


def resolve_date(con, day: date | None) -> date:
    """``day`` if the warehouse has scores on it, the latest scored day if ``day`` is None."""
    require_tables(con, CREDIBILITY, "dim_kol")
    dates = scored_dates(con)
    if not dates:
        raise KolError("the warehouse has no credibility score yet",
                       "Land a few days and build: `make demo`.")
    if day is None:
        return dates[-1]
    if day not in dates:
        nearest = min(dates, key=lambda d: abs((d - day).days))
        raise KolError(f"no credibility scores on {day}: the warehouse has {describe_dates(dates)}",
                       f"Pick a day in that range, e.g. --date {nearest}, or leave --date out for the latest.")
    return day


def describe_dates(dates: Sequence[date]) -> str:
    span = (dates[-1] - dates[0]).days + 1
    gaps = f", {span - len(dates)} missing" if span != len(dates) else ""
    return f"{dates[0]} .. {dates[-1]} ({len(dates)} days{gaps})"


# ---- accounts --------------------------------------------------------------------------------

def platforms(con) -> list[str]:
    return [p for (p,) in con.execute("select distinct platform from dim_kol order by 1").fetchall()]


def check_choice(kind: str, value: str | None, choices: Sequence[str]) -> str | None:
    """``value`` spelled as in ``choices`` (case-insensitive), or an error with close matches."""
    if value is None:
        return None
    by_lower = {c.lower(): c for c in choices}
    if value.lower() in by_lower:
        return by_lower[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.5)
    hint = (f"Did you mean {' or '.join(by_lower[c] for c in close)}? " if close else "") + \
        f"Known {kind}s: {', '.join(choices)}."
    raise KolError(f"no {kind} {value!r} in the warehouse", hint)


@dataclass(frozen=True)
class Account:
    account_key: str
    platform: str
    handle: str
    region: str


def parse_ref(ref: str) -> tuple[str, str]:
    platform, sep, handle = ref.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        raise KolError(f"{ref!r} is not platform:handle",
                       "Name the account as platform:handle, e.g. weibo:穿搭09 or instagram:daily.09 "
                       "(platform:account_id works too).", 2)
    return platform.strip(), handle.strip()


def resolve_account(con, ref: str) -> Account:
    """The account ``platform:handle`` names: its latest handle, a handle it had before, or its
    account id. An unknown handle suggests the platform's closest handles and the same handle
    on other platforms."""
    require_tables(con, "dim_kol")
    platform, handle = parse_ref(ref)
    platform = check_choice("platform", platform, platforms(con))
    bare = handle.lstrip("@")  # YouTube handles carry their @, an analyst may or may not type it
    has_history = _has_table(con, "dim_kol_history")
    past = ("union all select account_key, lower(handle), 2 from dim_kol_history where platform = $p"
            if has_history else "")
    row = con.execute(f"""
        with names as (
            select account_key, lower(handle) as name, 1 as rank from dim_kol where platform = $p
            {past}
            union all select account_key, lower(account_id), 3 from dim_kol where platform = $p
        )
        select k.account_key, k.platform, k.handle, k.region
        from names join dim_kol as k using (account_key)
        where names.name in (lower($h), lower($bare), lower('@' || $bare))
        order by names.rank, k.account_key limit 1""", {"p": platform, "h": handle, "bare": bare}).fetchone()
    if row:
        return Account(*row)

    names = [h for (h,) in con.execute("select distinct handle from dim_kol where platform = ? and handle is not null",
                                       [platform]).fetchall()]
    by_lower = {}
    for name in names:
        by_lower.setdefault(name.lower(), name)
    close = [by_lower[c] for c in difflib.get_close_matches(handle.lower(), list(by_lower), n=5, cutoff=0.4)]
    elsewhere = [f"{p}:{h}" for p, h in con.execute(
        "select platform, handle from dim_kol where lower(handle) = lower(?) and platform <> ? order by 1",
        [handle, platform]).fetchall()]
    hint = []
    if close:
        hint.append("Did you mean " + ", ".join(f"{platform}:{c}" for c in close) + "?")
    if elsewhere:
        hint.append(f"That handle is on {', '.join(elsewhere)}.")
    hint.append(f"kol sql \"select handle from dim_kol where platform = '{platform}'\" lists {platform}'s accounts.")
    raise KolError(f"no {platform} account with handle {handle!r}", " ".join(hint))


def _has_table(con, name: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = ?", [name]).fetchone()[0])


# ---- the leaderboard -------------------------------------------------------------------------

LEADERBOARD_COLUMNS = ("rank", "platform", "handle", "region", "tier", "niche", "followers", "credibility_score",
                       "percentile_in_platform_tier", *(f"{c}_points" for c in COMPONENTS), "known_weight",
                       "account_key")


def handle_as_of(con) -> str:
    """SQL for an account's handle on ``c.date_day`` (dim_kol_history), else its latest."""
    if _has_table(con, "dim_kol_history"):
        return ("coalesce((select h.handle from dim_kol_history as h where h.account_key = c.account_key "
                "and h.valid_from <= c.date_day and (h.valid_to is null or c.date_day < h.valid_to) "
                "order by h.valid_from desc limit 1), k.handle, c.account_id)")
    return "coalesce(k.handle, c.account_id)"


def leaderboard(con, day: date, *, platform: str | None = None, niche: str | None = None,
                tier: str | None = None, region: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The scored accounts of ``day`` by score, best first, with the filters applied."""
    points = ", ".join(f"c.{c}_points" for c in COMPONENTS)
    filters, params = ["c.date_day = ?", "c.credibility_score is not null"], [day]
    for column, value in (("platform", platform), ("niche", niche), ("tier", tier), ("region", region)):
        if value is not None:
            filters.append(f"c.{column} = ?")
            params.append(value)
    cursor = con.execute(f"""
        select row_number() over (order by c.credibility_score desc, c.account_key) as rank,
               c.platform, {handle_as_of(con)} as handle, c.region, c.tier, c.niche, c.followers,
               c.credibility_score, c.credibility_percentile_in_platform_tier as percentile_in_platform_tier,
               {points}, c.known_weight, c.account_key
        from {CREDIBILITY} as c left join dim_kol as k on k.account_key = c.account_key
        where {' and '.join(filters)}
        order by rank limit ?""", [*params, int(limit)])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r)) for r in cursor.fetchall()]


def filter_choices(con) -> dict[str, list[str]]:
    out = {}
    for column in ("platform", "niche", "tier", "region"):
        out[column] = [v for (v,) in con.execute(
            f"select distinct {column} from {CREDIBILITY} where {column} is not null order by 1").fetchall()]
    return out
