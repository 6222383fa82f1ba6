"""dbt's documentation site and the analyst docs generated from the same dbt YAML.

    python scripts/dbt_docs.py serve [--port 8080]     generate the dbt docs site, then serve it
    python scripts/dbt_docs.py generate                generate it only (into $KOL_DATA_DIR/dbt-docs)
    python scripts/dbt_docs.py refresh [--check]       rewrite docs/data-dictionary.md and the
                                                       example queries in docs/analyst-guide.md

The site's catalog (column types as the database has them) is read from the published
read-only warehouse (``$KOL_PUBLISHED_DIR/warehouse.duckdb``), else from the live one
(``KOL_WAREHOUSE_PATH``), or from ``--warehouse``. dbt-duckdb opens its database for writing,
and neither of those may be opened for writing (a reader's lock would stop the nightly run, and
the published copy is never written in place), so dbt is pointed at an empty copy of the
warehouse's schema (DuckDB ``COPY FROM DATABASE ... (SCHEMA)``): the catalog needs the columns,
not the rows. Serving is a plain http.server over the generated directory: ``dbt docs serve``
would open a browser and serve from inside the source tree.

``refresh`` reads only dbt's manifest (``dbt parse``): every mart column's type is declared in
its YAML (the marts' contracts are enforced) and the seeds declare theirs, so the dictionary is
the same whatever warehouse happens to be around, and a test can check it is up to date.

A script and not a dbt macro or a package module: it drives dbt from outside (parse, docs
generate, a web server) and writes files under docs/, which nothing in dbt_project/ should do.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"
DOCS = ROOT / "docs"
QUERIES = DOCS / "queries"
GUIDE = DOCS / "analyst-guide.md"
DICTIONARY = DOCS / "data-dictionary.md"
# dbt-duckdb names the database after the file's stem, and the manifest's relations carry it:
# the schema copy must keep the warehouse's name for the catalog to match the models.
WAREHOUSE_FILE = "warehouse.duckdb"
QUERY_BLOCK = re.compile(r"(<!-- query: (?P<name>[\w.-]+\.sql) -->\n)(?P<body>.*?)(<!-- /query -->)", re.S)


class DocsError(RuntimeError):
    """A problem with a fix the message names."""


def data_dir() -> Path:
    return Path(os.environ.get("KOL_DATA_DIR", ROOT / "data")).resolve()


def published_warehouse() -> Path:
    published = os.environ.get("KOL_PUBLISHED_DIR")
    return (Path(published) if published else data_dir() / "published") / WAREHOUSE_FILE


def live_warehouse() -> Path:
    return Path(os.environ.get("KOL_WAREHOUSE_PATH", data_dir() / WAREHOUSE_FILE))


def default_site_dir() -> Path:
    return data_dir() / "dbt-docs"


def _dbt(args: list[str], target: Path, env: dict[str, str] | None = None) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run([str(dbt if dbt.exists() else "dbt"), *args, "--target-path", str(target),
                           "--log-path", str(target / "logs")],
                          cwd=DBT_DIR, env=(env or os.environ) | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise DocsError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")


def schema_copy(warehouse: Path, work: Path) -> Path:
    """An empty database with ``warehouse``'s tables and views (no rows), named as dbt expects."""
    import duckdb

    work.mkdir(parents=True, exist_ok=True)
    copy = work / WAREHOUSE_FILE
    for stale in (copy, Path(f"{copy}.wal")):
        stale.unlink(missing_ok=True)
    source = str(warehouse).replace("'", "''")
    with duckdb.connect() as con:
        try:
            con.execute(f"attach '{source}' as src (read_only)")
        except duckdb.Error as exc:
            raise DocsError(f"cannot read {warehouse}: {exc}. If a dbt run holds it, wait for it to end, "
                            "or pass --warehouse with the published copy") from exc
        con.execute(f"attach '{str(copy).replace(chr(39), chr(39) * 2)}' as dst")
        con.execute("copy from database src to dst (schema)")
        con.execute("detach dst")
    return copy


def find_warehouse(explicit: Path | None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise DocsError(f"no warehouse at {explicit}")
        return explicit
    for candidate in (published_warehouse(), live_warehouse()):
        if candidate.is_file():
            return candidate
    raise DocsError(f"no warehouse at {published_warehouse()} nor {live_warehouse()}: build one first "
                    "(`make demo`, or `make dbt-build`), or pass --warehouse PATH")


def generate(site: Path, warehouse: Path | None = None) -> Path:
    """Generate the dbt docs site (index.html, manifest.json, catalog.json and the one-file
    static_index.html) into ``site``; return it."""
    source = find_warehouse(warehouse)
    copy = schema_copy(source, site / "_schema")
    _dbt(["docs", "generate", "--static"], site, os.environ | {"KOL_WAREHOUSE_PATH": str(copy)})
    shutil.rmtree(site / "_schema", ignore_errors=True)
    return site


def serve(site: Path, host: str, port: int) -> None:
    if not (site / "index.html").is_file():
        raise DocsError(f"no dbt docs in {site}: run `python scripts/dbt_docs.py generate` first")
    # SIGTERM stops the server even when the process inherited it ignored (a parent that set
    # SIG_IGN passes it on through exec: a CI run left one serving after terminate()).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    handler = functools.partial(_QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
        bound_host, bound_port = httpd.server_address[:2]
        print(f"dbt docs at http://{bound_host}:{bound_port}/ (Ctrl-C stops)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per asset fetched drowns the URL
        pass


# ---- the analyst docs --------------------------------------------------------------------


def _table_rows(node: dict) -> list[tuple[str, str, str]]:
    declared = (node.get("config") or {}).get("column_types") or {}
    rows = []
    for name, column in node["columns"].items():
        data_type = column.get("data_type") or declared.get(name) or ""
        description = " ".join((column.get("description") or "").split())
        rows.append((name, data_type, description))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def dictionary_markdown(manifest: dict) -> str:
    """The data dictionary: every mart (models/marts) and seed, its description, its columns."""
    nodes = [n for n in manifest["nodes"].values()
             if (n["resource_type"] == "model" and n["fqn"][1:2] == ["marts"]) or n["resource_type"] == "seed"]
    marts = sorted((n for n in nodes if n["resource_type"] == "model"), key=lambda n: (not n["name"].startswith("dim_"), n["name"]))
    seeds = sorted((n for n in nodes if n["resource_type"] == "seed"), key=lambda n: n["name"])
    out = ["# Data dictionary",
           "",
           "<!-- Generated by `python scripts/dbt_docs.py refresh` from the marts' and seeds' dbt YAML:",
           "     edit the YAML, not this file. -->",
           "",
           "Every table of the published warehouse (`data/published/warehouse.duckdb`): the marts, also",
           "published as Parquet (`data/published/marts/<mart>.parquet`), and the seeds (reference",
           "data the team maintains in `dbt_project/seeds/`). Formulas and sources of every metric:",
           "[methodology.md](methodology.md). Rates are fractions (0.05 = 5%); a null is unknown, never zero.",
           "",
           "| table | kind | what it holds |",
           "|---|---|---|"]
    for node in marts + seeds:
        kind = "seed" if node["resource_type"] == "seed" else (
            "mart (daily, incremental)" if node["fqn"][2:3] == ["daily"] else "mart")
        first = " ".join((node.get("description") or "").split()).split(". ")[0].rstrip(".")
        first = first if len(first) <= 200 else first[:first.rfind(" ", 0, 200)] + " ..."
        out.append(f"| [{node['name']}](#{node['name']}) | {kind} | {_cell(first)} |")
    for node in marts + seeds:
        out += ["", f"## {node['name']}", "", " ".join((node.get("description") or "").split()), "",
                f"Source: `dbt_project/{node['original_file_path']}`", "",
                "| column | type | description |", "|---|---|---|"]
        out += [f"| `{name}` | {data_type} | {_cell(description)} |" for name, data_type, description in _table_rows(node)]
    return "\n".join(out) + "\n"


def guide_with_queries(guide: str) -> str:
    """The guide with each ``<!-- query: x.sql -->`` block holding docs/queries/x.sql verbatim."""
    def fill(match: re.Match) -> str:
        path = QUERIES / match["name"]
        if not path.is_file():
            raise DocsError(f"the guide includes {match['name']}, which docs/queries/ does not hold")
        return f"{match[1]}```sql\n{path.read_text(encoding='utf-8').strip()}\n```\n{match[4]}"

    return QUERY_BLOCK.sub(fill, guide)


def refresh(work: Path, check: bool, manifest_path: Path | None = None) -> list[str]:
    """Rewrite (or, with ``check``, compare) the dictionary and the guide's queries; return the
    files that changed (or would). ``manifest_path``: a manifest dbt wrote already (a docs site's),
    instead of a parse of its own."""
    if manifest_path is None:
        _dbt(["parse"], work)
        manifest_path = work / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    guide = GUIDE.read_text(encoding="utf-8")
    included = {m["name"] for m in QUERY_BLOCK.finditer(guide)}
    missing = sorted(p.name for p in QUERIES.glob("*.sql") if p.name not in included)
    if missing:
        raise DocsError(f"the guide includes no block for {', '.join(missing)}: add "
                        f"`<!-- query: {missing[0]} -->` ... `<!-- /query -->` where it belongs")
    wanted = {DICTIONARY: dictionary_markdown(manifest), GUIDE: guide_with_queries(guide)}
    changed = [str(p.relative_to(ROOT)) for p, text in wanted.items()
               if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if not check:
        for path, text in wanted.items():
            path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "serve"):
        p = sub.add_parser(name, help="generate the dbt docs site" + (", then serve it" if name == "serve" else ""))
        p.add_argument("--site", type=Path, default=None, help="where the site goes (default $KOL_DATA_DIR/dbt-docs)")
        p.add_argument("--warehouse", type=Path, default=None,
                       help="the warehouse whose column types the catalog shows (default: the published copy)")
        if name == "serve":
            p.add_argument("--port", type=int, default=8080, help="0 picks a free port (default 8080)")
            p.add_argument("--host", default="127.0.0.1")
            p.add_argument("--no-generate", action="store_true", help="serve what was generated before")
    p = sub.add_parser("refresh", help="rewrite docs/data-dictionary.md and the guide's example queries")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    p.add_argument("--manifest", type=Path, default=None,
                   help="read this manifest.json (e.g. a docs site's) instead of running `dbt parse`")
    args = parser.parse_args(argv)
    try:
        if args.command == "refresh":
            import tempfile

            with tempfile.TemporaryDirectory(prefix="kol-docs-") as tmp:
                changed = refresh(Path(tmp), args.check, args.manifest)
            if args.check and changed:
                print(f"out of date: {', '.join(changed)}; run `python scripts/dbt_docs.py refresh`")
                return 1
            print(("rewrote " + ", ".join(changed)) if changed and not args.check else "up to date")
            return 0
        site = (args.site or default_site_dir()).resolve()
        if args.command == "generate" or not args.no_generate:
            print(f"generating the dbt docs into {site} ...", flush=True)
            generate(site, args.warehouse)
        if args.command == "serve":
            serve(site, args.host, args.port)
        else:
            print(f"done: open {site / 'static_index.html'} as a file, or `python scripts/dbt_docs.py serve`")
        return 0
    except DocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
