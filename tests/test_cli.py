"""`kol`, the analysts' command line (kolctl/), on a real demo warehouse (the shared
`analyst_warehouse` of tests/analyst_fixtures.py): every command, its output formats, its
answers checked against the warehouse itself, and bad input (a write, bad SQL, an unknown
handle or platform, a date without data, a malformed date, no warehouse) with its exit code
and the hint that fixes it."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import tests.conftest as _conftest
from kolctl.cli import app
from kolctl.report import CHARTS

# Until tests/conftest.py registers tests.analyst_fixtures, take its fixtures from here; once it
# does, this is skipped so that the session builds the warehouse once for every module.
if "tests.analyst_fixtures" not in str(getattr(_conftest, "pytest_plugins", "")) \
        and not hasattr(_conftest, "analyst_warehouse"):
    from tests.analyst_fixtures import analyst_published, analyst_warehouse  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
COMPONENTS = ("reach_momentum", "community_engagement", "reciprocity", "expertise_focus", "retail_sway",
              "authenticity")


@pytest.fixture(scope="module")
def wh(analyst_warehouse) -> Path:
    return analyst_warehouse


@pytest.fixture(scope="module")
def facts(wh) -> dict:
    """What the answers must agree with, read straight from the warehouse."""
    with duckdb.connect(str(wh), read_only=True) as con:
        dates = [d for (d,) in con.execute("select distinct date_day from fct_kol_credibility_daily "
                                           "where credibility_score is not null order by 1").fetchall()]
        latest = dates[-1]
        # an account of the identity register if one is scored, else the best scored account
        platform, handle, key = con.execute("""
            select k.platform, k.handle, k.account_key from dim_kol as k
            join fct_kol_credibility_daily as c on c.account_key = k.account_key
            where c.date_day = ? and c.credibility_score is not null and k.handle is not null
            order by k.is_linked_identity desc, c.credibility_score desc, k.account_key limit 1""",
                                             [latest]).fetchone()
        most_suspicious = con.execute("""
            select account_key, count(*) filter (where is_suspicious_growth) as n from fct_followers_daily
            where date_day <= ? group by 1 order by n desc, account_key limit 1""", [latest]).fetchone()
        suspicious_days = [d for (d,) in con.execute(
            "select date_day from fct_followers_daily where account_key = ? and is_suspicious_growth and date_day <= ? "
            "order by 1", [most_suspicious[0], latest]).fetchall()]
        scored = con.execute("select count(*) from fct_kol_credibility_daily where date_day = ? "
                             "and credibility_score is not null", [latest]).fetchone()[0]
        platforms = [p for (p,) in con.execute("select distinct platform from dim_kol order by 1").fetchall()]
        regions = dict(con.execute("select distinct platform, region from dim_kol").fetchall())
    return {"dates": dates, "latest": latest, "platform": platform, "handle": handle, "account_key": key,
            "most_suspicious": most_suspicious, "suspicious_days": suspicious_days, "scored": scored,
            "platforms": platforms, "regions": regions}


def kol(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(app, list(args), env=env, input=input, catch_exceptions=False)


def query(wh: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# ---- sql -------------------------------------------------------------------------------------

def test_sql_prints_a_table_csv_and_json(wh, facts):
    sql = "select platform, count(*) as accounts from dim_kol group by 1 order by 1"
    expected = query(wh, sql)

    table = kol("sql", sql, "--warehouse", str(wh))
    assert table.exit_code == 0, table.output
    for platform, accounts in expected:
        assert re.search(rf"│ {re.escape(platform)}\s+│\s+{accounts} │", table.stdout), table.stdout

    as_csv = kol("sql", sql, "--format", "csv", "-w", str(wh))
    assert as_csv.exit_code == 0
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["platform", "accounts"]
    assert [(p, int(n)) for p, n in rows[1:]] == expected

    as_json = kol("sql", sql, "--format", "json", "-w", str(wh))
    assert as_json.exit_code == 0
    assert [(r["platform"], r["accounts"]) for r in json.loads(as_json.stdout)] == expected


def test_sql_reads_the_query_from_stdin_and_runs_several_statements(wh):
    result = kol("sql", "-", "-f", "json", "-w", str(wh),
                 input="set threads = 1;\nselect count(*) as n from dim_kol;\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": query(wh, "select count(*) from dim_kol")[0][0]}]


@pytest.mark.parametrize("statement, kind", [
    ("create table mine as select 1", "CREATE"),
    ("insert into dim_kol (account_key) values ('x:1')", "INSERT"),
    ("delete from dim_kol", "DELETE"),
    ("copy dim_kol to '{tmp}/leak.csv'", "COPY"),
    ("attach '{tmp}/other.duckdb' as other", "ATTACH"),
    ("select 1; drop table dim_kol", "DROP"),
])
def test_sql_refuses_every_write(wh, tmp_path, statement, kind):
    before = query(wh, "select count(*) from dim_kol")
    result = kol("sql", statement.format(tmp=tmp_path), "-w", str(wh))
    assert result.exit_code == 1
    assert f"kol sql only reads: {kind} statements are refused" in result.stderr
    assert "read-only copy" in result.stderr and "ATTACH" in result.stderr  # the way to do it instead
    assert query(wh, "select count(*) from dim_kol") == before
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("sql, message, hint", [
    ("select * from no_such_mart", "Catalog Error", 'kol sql "show tables"'),
    ("select no_such_column from dim_kol", "Binder Error", 'kol sql "describe <table>"'),
    ("selec * from dim_kol", "Parser Error", "Check the syntax"),
])
def test_bad_sql_shows_duckdbs_message_and_a_hint(wh, sql, message, hint):
    result = kol("sql", sql, "-w", str(wh))
    assert result.exit_code == 1
    assert message in result.stderr and hint in result.stderr
    assert result.stdout == ""


def test_a_missing_warehouse_says_how_to_get_one(tmp_path, monkeypatch):
    result = kol("sql", "select 1", "-w", str(tmp_path / "nowhere.duckdb"))
    assert result.exit_code == 3
    assert f"no warehouse at {tmp_path / 'nowhere.duckdb'}" in result.stderr
    assert "make demo" in result.stderr

    # the default is the published copy: an empty published directory says the same
    monkeypatch.setenv("KOL_PUBLISHED_DIR", str(tmp_path / "published"))
    for args in (["top"], ["explain", "weibo:anyone"], ["report", "-o", str(tmp_path / "r.html")]):
        result = kol(*args)
        assert result.exit_code == 3, (args, result.output)
        assert str(tmp_path / "published" / "warehouse.duckdb") in result.stderr and "make demo" in result.stderr
    assert not (tmp_path / "r.html").exists()

    (tmp_path / "not-a-db.duckdb").write_text("hello")
    result = kol("sql", "select 1", "-w", str(tmp_path / "not-a-db.duckdb"))
    assert result.exit_code == 3 and "cannot be opened as a DuckDB database" in result.stderr


def test_the_default_is_the_published_copy(analyst_published, wh, monkeypatch):
    monkeypatch.setenv("KOL_PUBLISHED_DIR", str(analyst_published))
    result = kol("sql", "select count(*) as n from fct_kol_credibility_daily", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["n"] == query(wh, "select count(*) from fct_kol_credibility_daily")[0][0]


# ---- top -------------------------------------------------------------------------------------

def test_top_is_the_latest_days_leaderboard(wh, facts):
    result = kol("top", "-w", str(wh), "--limit", "5", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = query(wh, """select account_key, credibility_score::double from fct_kol_credibility_daily
                            where date_day = ? and credibility_score is not null
                            order by credibility_score desc, account_key limit 5""", [facts["latest"]])
    assert [(r["account_key"], r["credibility_score"]) for r in rows] == expected
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    for r in rows:  # the score is the sum of the points it shows
        assert abs(sum(r[f"{c}_points"] or 0 for c in COMPONENTS) - r["credibility_score"]) < 0.011

    table = kol("top", "-w", str(wh), "--limit", "3")
    assert table.exit_code == 0
    assert f"Top 3 KOLs on {facts['latest']}" in table.stdout
    assert rows[0]["handle"] in table.stdout


def test_top_filters_and_dates(wh, facts):
    platform = facts["platform"]
    west = [p for p, r in facts["regions"].items() if r == "West"]
    day = facts["dates"][len(facts["dates"]) // 2]

    by_platform = json.loads(kol("top", "-w", str(wh), "-p", platform.upper(), "-f", "json").stdout)
    assert by_platform and {r["platform"] for r in by_platform} == {platform}

    western = json.loads(kol("top", "-w", str(wh), "--region", "west", "-l", "100", "-f", "json").stdout)
    assert western and {r["platform"] for r in western} <= set(west) and {r["region"] for r in western} == {"West"}

    tier, niche = query(wh, "select tier, niche from fct_kol_credibility_daily where date_day = ? and niche is not null "
                            "and credibility_score is not null order by credibility_score desc limit 1", [day])[0]
    result = kol("top", "-w", str(wh), "--tier", tier, "--niche", niche, "--date", str(day), "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = query(wh, "select account_key from fct_kol_credibility_daily where date_day = ? and tier = ? and niche = ? "
                         "and credibility_score is not null order by credibility_score desc, account_key",
                     [day, tier, niche])
    assert [r["account_key"] for r in rows] == [k for (k,) in expected]


def test_top_bad_input(wh, facts):
    result = kol("top", "-w", str(wh), "--niche", "beuty")
    assert result.exit_code == 1 and "no niche 'beuty'" in result.stderr and "Did you mean beauty?" in result.stderr

    result = kol("top", "-w", str(wh), "--platform", "weibu")
    assert result.exit_code == 1 and "Did you mean weibo?" in result.stderr

    after = facts["dates"][-1] + timedelta(days=30)
    result = kol("top", "-w", str(wh), "--date", str(after))
    assert result.exit_code == 1
    assert f"no credibility scores on {after}" in result.stderr
    assert f"{facts['dates'][0]} .. {facts['dates'][-1]}" in result.stderr  # which dates exist
    assert f"--date {facts['dates'][-1]}" in result.stderr

    result = kol("top", "-w", str(wh), "--date", "2026-13-01")
    assert result.exit_code == 2 and "is not a date: use YYYY-MM-DD" in result.output

    assert kol("top", "-w", str(wh), "--limit", "0").exit_code == 2
    assert kol("top", "-w", str(wh), "--format", "xml").exit_code == 2


# ---- explain ---------------------------------------------------------------------------------

def test_explain_shows_every_component_and_they_add_up(wh, facts):
    ref = f"{facts['platform']}:{facts['handle']}"
    result = kol("explain", ref, "-w", str(wh), "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    row = dict(zip(*_row(wh, "select * from fct_kol_credibility_daily where account_key = ? and date_day = ?",
                         [facts["account_key"], facts["latest"]])))
    assert doc["account_key"] == facts["account_key"] and doc["date"] == str(facts["latest"])
    assert doc["credibility_score"] == float(row["credibility_score"])
    assert doc["known_weight"] == row["known_weight"]
    assert [c["component"] for c in doc["components"]] == list(COMPONENTS)
    for c in doc["components"]:
        name = c["component"]
        assert c["value"] == row[f"{name}_value"] and c["subscore"] == row[f"{name}_subscore"]
        assert c["percentile_in_platform_tier"] == row[f"{name}_percentile"]
        assert c["weight"] == row[f"{name}_weight"]
        assert c["inputs"] and c["rule"].startswith("subscore = ")
    assert abs(sum(c["points"] or 0 for c in doc["components"]) - doc["credibility_score"]) < 0.011
    assert sum(c["weight"] for c in doc["components"] if c["known"]) == doc["known_weight"]

    table = kol("explain", ref, "-w", str(wh))
    assert table.exit_code == 0
    assert f"Credibility {doc['credibility_score']:.2f} / 100" in table.stdout
    assert f"known weight {doc['known_weight']} of 100" in table.stdout
    for name in COMPONENTS:
        assert f"│ {name} " in table.stdout
    assert table.stdout.count("inputs: ") == 6 and table.stdout.count("rule:   subscore = ") == 6
    assert "reciprocity_full_points_reply_rate (0.5)" in table.stdout  # the threshold, from the dbt vars


def _row(wh, sql, params):
    with duckdb.connect(str(wh), read_only=True) as con:
        cursor = con.execute(sql, params)
        return [d[0] for d in cursor.description], cursor.fetchone()


def test_explain_as_of_a_past_day_and_by_any_name(wh, facts):
    first = facts["dates"][0]
    account_id = facts["account_key"].split(":", 1)[1]
    for ref in (f"{facts['platform']}:{facts['handle'].upper()}", f"{facts['platform']}:{account_id}"):
        result = kol("explain", ref, "--date", str(first), "-w", str(wh), "-f", "json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["account_key"] == facts["account_key"] and doc["date"] == str(first)
        expected = query(wh, "select credibility_score from fct_kol_credibility_daily where account_key = ? "
                             "and date_day = ?", [facts["account_key"], first])[0][0]
        assert doc["credibility_score"] == (None if expected is None else float(expected))


def test_explain_bad_input(wh, facts):
    platform, handle = facts["platform"], facts["handle"]
    typo = handle[:-1] + ("x" if handle[-1] != "x" else "y")
    result = kol("explain", f"{platform}:{typo}", "-w", str(wh))
    assert result.exit_code == 1
    assert f"no {platform} account with handle {typo!r}" in result.stderr
    assert f"Did you mean {platform}:{handle}" in result.stderr

    result = kol("explain", f"{platform[:-1]}u:{handle}", "-w", str(wh))
    assert result.exit_code == 1 and f"Did you mean {platform}?" in result.stderr

    other = next(p for p in facts["platforms"] if p != platform)
    result = kol("explain", f"{other}:{handle}", "-w", str(wh))
    assert result.exit_code == 1 and f"That handle is on {platform}:{handle}" in result.stderr

    result = kol("explain", handle, "-w", str(wh))  # no platform
    assert result.exit_code == 2 and "platform:handle" in result.output

    before = facts["dates"][0] - timedelta(days=1)
    result = kol("explain", f"{platform}:{handle}", "--date", str(before), "-w", str(wh))
    assert result.exit_code == 1
    assert f"no credibility scores on {before}" in result.stderr and str(facts["dates"][0]) in result.stderr

    result = kol("explain", f"{platform}:{handle}", "--date", "yesterday", "-w", str(wh))
    assert result.exit_code == 2


# ---- report ----------------------------------------------------------------------------------

class _Page(HTMLParser):
    """The report's structure: each figure's chart id, its inline SVG's shapes and text."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.figures: dict[str, dict] = {}
        self.table_rows = 0
        self._figure = None
        self._in_svg_text = False
        self._in_table_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.links += [v for k, v in attrs.items() if k in {"src", "href", "xlink:href", "action"} and v]
        if tag == "figure" and "data-chart" in attrs:
            self._figure = self.figures.setdefault(attrs["data-chart"], {"svg": 0, "shapes": 0, "text": []})
        elif self._figure is not None and tag == "svg":
            self._figure["svg"] += 1
        elif self._figure is not None and tag in {"path", "rect", "line", "polyline", "use"}:
            self._figure["shapes"] += 1
        elif tag == "text":
            self._in_svg_text = True
        elif tag == "tbody":
            self._in_table_body = True
        elif tag == "tr" and self._in_table_body:
            self.table_rows += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None
        elif tag == "text":
            self._in_svg_text = False
        elif tag == "tbody":
            self._in_table_body = False

    def handle_data(self, data):
        if self._figure is not None and self._in_svg_text and data.strip():
            self._figure["text"].append(data.strip())


@pytest.fixture(scope="module")
def report(wh, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "sub" / "report.html"
    result = kol("report", "-w", str(wh), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    return out, result, page


def test_the_report_holds_the_four_charts_and_the_leaderboard(report, facts):
    out, result, page = report
    assert f"wrote {out}" in result.stdout and "4 charts" in result.stdout
    assert list(page.figures) == list(CHARTS)
    for chart, figure in page.figures.items():
        assert figure["svg"] == 1 and figure["shapes"] > 20, (chart, figure)
    distribution = " ".join(page.figures["credibility-distribution"]["text"])
    assert all(p in distribution for p in facts["platforms"])
    replies = page.figures["reply-rates"]["text"]
    assert "East" in replies and "West" in replies
    assert any(t.startswith("Followers of ") for t in page.figures["follower-curve"]["text"])
    assert page.table_rows == min(20, facts["scored"])
    html = out.read_text(encoding="utf-8")
    assert f"KOL credibility report, {facts['latest']}" in html


def test_the_report_is_self_contained(report):
    out, _, page = report
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert all(link.startswith("#") for link in page.links), page.links  # only the SVGs' own clip paths
    html = out.read_text(encoding="utf-8")
    assert "@import" not in html and "url(http" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # four inline SVGs, no clip path borrowed from another chart


def test_the_follower_curve_marks_the_suspicious_days(report, facts):
    _, result, page = report
    account, days = facts["most_suspicious"]
    assert f"follower curve of {account}" in result.stdout
    caption_days = ", ".join(str(d) for d in facts["suspicious_days"])
    html = report[0].read_text(encoding="utf-8")
    if days:
        assert f"{days} suspicious growth day(s) ({caption_days})" in html
        assert any("suspicious growth" in t for t in page.figures["follower-curve"]["text"])  # the legend


def test_the_report_for_a_chosen_kol_and_date(wh, facts, tmp_path):
    day = facts["dates"][len(facts["dates"]) // 2]
    out = tmp_path / "r.html"
    result = kol("report", "-w", str(wh), "-o", str(out), "--date", str(day),
                 "--handle", f"{facts['platform']}:{facts['handle']}")
    assert result.exit_code == 0, result.output
    assert f"follower curve of {facts['account_key']}" in result.stdout
    assert f"KOL credibility report, {day}" in out.read_text(encoding="utf-8")

    bad = tmp_path / "bad.html"
    result = kol("report", "-w", str(wh), "-o", str(bad), "--handle", f"{facts['platform']}:{facts['handle']}zz")
    assert result.exit_code == 1 and "Did you mean" in result.stderr and not bad.exists()
    after = facts["dates"][-1] + timedelta(days=1)
    result = kol("report", "-w", str(wh), "-o", str(bad), "--date", str(after))
    assert result.exit_code == 1 and "no credibility scores" in result.stderr and not bad.exists()


def test_the_pipelines_latest_report_lands_beside_the_published_copy(analyst_published, facts, monkeypatch):
    from kolctl.report import write_latest_report

    monkeypatch.setenv("KOL_PUBLISHED_DIR", str(analyst_published))
    done = write_latest_report()
    assert done.path == analyst_published / "report.html" and done.path.is_file()
    assert done.day == facts["latest"] and done.charts == list(CHARTS)


def test_a_warehouse_being_written_points_to_the_published_copy(wh, tmp_path):
    live = tmp_path / "live.duckdb"
    live.write_bytes(wh.read_bytes())
    with duckdb.connect(str(live)):  # a writer (dbt) holds the file: another process cannot read it
        proc = subprocess.run([sys.executable, "-m", "kolctl", "top", "-w", str(live)], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert "held open for writing by another process" in proc.stderr and "published copy" in proc.stderr


# ---- the entry points ------------------------------------------------------------------------

def test_python_m_kolctl_and_help(wh):
    proc = subprocess.run([sys.executable, "-m", "kolctl", "sql", "select 42 as answer", "-f", "csv", "-w", str(wh)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "answer\n42\n"
    help_text = kol("--help").stdout
    for command in ("sql", "top", "explain", "report"):
        assert command in help_text
    assert kol().exit_code in (0, 2)  # no command: the help, not a traceback


def test_the_kol_console_script():
    script = Path(sys.executable).parent / "kol"
    if not script.exists():
        pytest.skip("the project is installed without its [project.scripts] kol entry yet")
    proc = subprocess.run([str(script), "top", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Usage: kol top" in proc.stdout
