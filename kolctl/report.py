"""``kol report``: one self-contained HTML file with four charts and a leaderboard.

The charts are matplotlib SVGs inlined in the page: no JavaScript and nothing fetched, so the
file opens the same from a laptop, an e-mail attachment, a sandboxed preview (the Dagster UI's
included) or a printer, weighs tens of kilobytes rather than the megabytes of an embedded
plotting runtime, and its text stays text (searchable, and rendered in the reader's fonts:
``svg.fonttype = none`` leaves glyphs to the browser, which matters for CJK handles).
"""
from __future__ import annotations

import html
import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from kolctl.warehouse import (COMPONENTS, CREDIBILITY, KolError, REGIONS, handle_as_of, leaderboard,
                              resolve_account)

CHARTS = {
    "credibility-distribution": "Credibility score per platform",
    "reply-rates": "Eastern vs Western reply rates",
    "follower-curve": "Follower curve with suspicious growth marked",
    "leaderboard": "Leaderboard: the most credible KOLs",
}
STEPS = ("read the warehouse", *CHARTS, "write the page")
REGION_COLOURS = {"East": "#c0392b", "West": "#2471a3"}
COMPONENT_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd")
LEADERBOARD_CHART_ROWS = 15
LEADERBOARD_TABLE_ROWS = 20


@dataclass
class Report:
    path: Path
    day: date
    follower_account: str | None
    charts: list[str] = field(default_factory=list)
    bytes: int = 0


def build_report(con, out: Path, day: date, *, handle: str | None = None, source: str = "",
                 step: Callable[[str], None] = lambda name: None) -> Report:
    """Write the report of ``day`` to ``out``; ``step`` is called as each of STEPS is done (a
    progress bar). ``handle`` (platform:handle) picks the follower curve's account, by default
    the one with the most suspicious growth days up to ``day``."""
    account = resolve_account(con, handle) if handle else None
    data = _read(con, day, account.account_key if account else None)
    step(STEPS[0])

    import matplotlib

    matplotlib.use("Agg", force=False)  # never a GUI backend, on a server or in a test
    sections = []
    for chart_id, draw in (("credibility-distribution", _distribution), ("reply-rates", _reply_rates),
                           ("follower-curve", _follower_curve), ("leaderboard", _leaderboard_chart)):
        svg, caption = draw(data)
        sections.append((chart_id, svg, caption))
        step(chart_id)

    page = _page(day, data, sections, source)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)  # a reader (or a browser reload) never sees half a report
    step(STEPS[-1])
    return Report(out, day, data["follower_account"], [s[0] for s in sections], len(page.encode()))


def write_latest_report(warehouse: Path | None = None, out: Path | None = None) -> Report:
    """The report of the latest scored day of ``warehouse`` (default: the published copy) at
    ``out`` (default: $KOL_PUBLISHED_DIR/report.html): for the pipeline to refresh after each
    publish and link from the credibility mart's materialisation."""
    from kolctl import settings
    from kolctl.warehouse import connect, resolve_date

    warehouse = Path(warehouse or settings.published_warehouse())
    con = connect(warehouse)
    try:
        return build_report(con, Path(out or settings.latest_report_path()), resolve_date(con, None),
                            source=str(warehouse))
    finally:
        con.close()


# ---- data ------------------------------------------------------------------------------------

def _rows(con, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r)) for r in cursor.fetchall()]


def _read(con, day: date, account_key: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"day": day}
    data["scores"] = _rows(con, f"select platform, region, credibility_score::double as score from {CREDIBILITY} "
                                "where date_day = ? and credibility_score is not null order by region, platform", [day])
    data["reply_by_platform"] = _rows(con, f"""
        select platform, region, median(reply_rate_trailing) as reply_rate, count(reply_rate_trailing) as accounts
        from {CREDIBILITY} where date_day = ? group by 1, 2 having count(reply_rate_trailing) > 0
        order by region, reply_rate desc""", [day])
    data["reply_by_day"] = _rows(con, f"""
        select date_day, region, median(reply_rate_trailing) as reply_rate
        from {CREDIBILITY} where date_day <= ? and reply_rate_trailing is not null
        group by 1, 2 order by 1, 2""", [day])

    suspicious_note = None
    if account_key is None:
        best = con.execute("""
            select account_key, count(*) filter (where is_suspicious_growth) as days
            from fct_followers_daily where date_day <= ? group by 1
            order by days desc, account_key limit 1""", [day]).fetchone()
        if best and best[1]:
            account_key = best[0]
        else:
            top = leaderboard(con, day, limit=1)
            account_key = top[0]["account_key"] if top else None
            suspicious_note = "No account has a suspicious growth day up to this date: the top KOL is shown."
    data["follower_account"] = account_key
    data["follower_note"] = suspicious_note
    data["followers"] = _rows(con, """
        select f.date_day, f.followers, coalesce(f.is_suspicious_growth, false) as suspicious,
               coalesce(f.is_follower_jump, false) and not coalesce(f.is_suspicious_growth, false) as backed_jump
        from fct_followers_daily as f where f.account_key = ? and f.date_day <= ? order by 1""", [account_key, day])
    label = con.execute(f"""
        select c.platform || ':' || {handle_as_of(con)} from {CREDIBILITY} as c
        left join dim_kol as k on k.account_key = c.account_key
        where c.account_key = ? order by c.date_day desc limit 1""", [account_key]).fetchone()
    data["follower_label"] = label[0] if label else account_key
    data["leaders"] = leaderboard(con, day, limit=LEADERBOARD_TABLE_ROWS)
    if not data["scores"]:
        raise KolError(f"no credibility score on {day}", "Pick another --date.")
    return data


# ---- charts ----------------------------------------------------------------------------------

def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _svg(fig, chart_id: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id}), warnings.catch_warnings():
        # DejaVu has no CJK glyphs; with svg.fonttype none the browser draws them from its own fonts
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # the XML prolog and DOCTYPE are not allowed inside HTML
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # ids must be unique in the page: every chart's clip paths and styles get its own prefix
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{chart_id}-{m.group(1)}"', svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(CHARTS[chart_id])}" ', 1)
    return svg


def _distribution(data) -> tuple[str, str]:
    import numpy as np

    order = []
    for row in data["scores"]:
        if row["platform"] not in order:
            order.append(row["platform"])
    region = {r["platform"]: r["region"] for r in data["scores"]}
    values = [[r["score"] for r in data["scores"] if r["platform"] == p] for p in order]
    fig = _figure(8, 4)
    ax = fig.subplots()
    box = ax.boxplot(values, tick_labels=order, patch_artist=True, widths=0.55, showfliers=False)
    for patch, platform in zip(box["boxes"], order):
        patch.set_facecolor(REGION_COLOURS[region[platform]])
        patch.set_alpha(0.35)
    rng = np.random.default_rng(0)  # the same jitter every time: reports diff cleanly
    for i, (platform, vals) in enumerate(zip(order, values), 1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(vals)), vals, s=14, color=REGION_COLOURS[region[platform]],
                   zorder=3)
    ax.set_ylabel("credibility score (0-100)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{CHARTS['credibility-distribution']} on {data['day']}")
    ax.grid(axis="y", alpha=0.3)
    _region_legend(ax)
    caption = (f"{len(data['scores'])} scored accounts on {data['day']}; each dot is one account, the box its "
               "platform's quartiles. Compare accounts within a platform and tier: the score's rules are "
               "absolute, but platforms publish different counters.")
    return _svg(fig, "credibility-distribution"), caption


def _region_legend(ax) -> None:
    from matplotlib.patches import Patch

    ax.figure.legend(handles=[Patch(color=REGION_COLOURS[r], label=r) for r in REGIONS], loc="outside right upper",
                     frameon=False)


def _reply_rates(data) -> tuple[str, str]:
    fig = _figure(9, 4)
    left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
    rows = data["reply_by_platform"]
    left.bar([r["platform"] for r in rows], [r["reply_rate"] for r in rows],
             color=[REGION_COLOURS[r["region"]] for r in rows])
    left.set_ylabel("median reply rate (28 days)")
    left.set_title(f"per platform on {data['day']}")
    left.yaxis.set_major_formatter(_percent())
    left.tick_params(axis="x", rotation=30)
    left.grid(axis="y", alpha=0.3)
    for region in REGIONS:
        series = [r for r in data["reply_by_day"] if r["region"] == region]
        if series:
            right.plot([r["date_day"] for r in series], [r["reply_rate"] for r in series],
                       color=REGION_COLOURS[region], label=region, linewidth=2)
    right.set_title("median per region, day by day")
    right.yaxis.set_major_formatter(_percent())
    right.tick_params(axis="x", rotation=30)
    right.grid(alpha=0.3)
    right.legend(frameon=False)
    fig.suptitle(CHARTS["reply-rates"])
    medians = {}
    for region in REGIONS:
        last = [r["reply_rate"] for r in data["reply_by_day"] if r["region"] == region and r["date_day"] == data["day"]]
        if last:
            medians[region] = last[0]
    caption = "Reply rate: creator replies over follower comments in the trailing 28 days (fct_reciprocity_daily). " + \
        "; ".join(f"{r} median on {data['day']}: {v:.1%}" for r, v in medians.items()) + "."
    return _svg(fig, "reply-rates"), caption


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _follower_curve(data) -> tuple[str, str]:
    rows = data["followers"]
    fig = _figure(9, 4)
    ax = fig.subplots()
    days = [r["date_day"] for r in rows]
    ax.plot(days, [r["followers"] for r in rows], color="#34495e", linewidth=2, label="followers")
    suspicious = [r for r in rows if r["suspicious"]]
    backed = [r for r in rows if r["backed_jump"]]
    if suspicious:
        ax.scatter([r["date_day"] for r in suspicious], [r["followers"] for r in suspicious], s=80, marker="X",
                   color="#e74c3c", zorder=4, label="suspicious growth (a jump no engagement backs)")
        for r in suspicious:
            ax.axvline(r["date_day"], color="#e74c3c", alpha=0.25, linewidth=6)
    if backed:
        ax.scatter([r["date_day"] for r in backed], [r["followers"] for r in backed], s=60, marker="o",
                   facecolor="none", edgecolor="#27ae60", linewidth=2, zorder=4, label="jump backed by engagement")
    ax.set_title(f"Followers of {data['follower_label']}")
    ax.set_ylabel("followers")
    ax.yaxis.set_major_formatter(_thousands())
    ax.tick_params(axis="x", rotation=30)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="best")
    caption = (f"{data['follower_label']}: {len(suspicious)} suspicious growth day(s)"
               + (f" ({', '.join(str(r['date_day']) for r in suspicious)})" if suspicious else "")
               + f" and {len(backed)} jump(s) backed by engagement up to {data['day']}."
               + (f" {data['follower_note']}" if data["follower_note"] else ""))
    return _svg(fig, "follower-curve"), caption


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def _leaderboard_chart(data) -> tuple[str, str]:
    rows = data["leaders"][:LEADERBOARD_CHART_ROWS][::-1]  # barh draws bottom-up: best on top
    fig = _figure(9, 0.35 * len(rows) + 1.6)
    ax = fig.subplots()
    labels = [f"{r['platform']}:{r['handle']}" for r in rows]
    left = [0.0] * len(rows)
    for component, colour in zip(COMPONENTS, COMPONENT_COLOURS):
        points = [float(r[f"{component}_points"] or 0) for r in rows]
        ax.barh(labels, points, left=left, color=colour, label=component.replace("_", " "))
        left = [a + b for a, b in zip(left, points)]
    for y, r in enumerate(rows):
        ax.text(float(r["credibility_score"]) + 0.8, y, f"{float(r['credibility_score']):.1f}", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("credibility score: points per component")
    ax.set_title(f"Top {len(rows)} KOLs on {data['day']}")
    fig.legend(frameon=False, ncols=6, loc="outside lower center", fontsize=8)
    caption = "Each bar is the sum of the six components' points; `kol explain platform:handle` shows why."
    return _svg(fig, "leaderboard"), caption


# ---- the page --------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
figure.chart { margin: 1.5rem 0; } figure.chart svg { width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; } div.scroll { overflow-x: auto; } td.text, th.text { text-align: left; }
"""


def _page(day: date, data, sections, source: str) -> str:
    e = html.escape
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>KOL credibility report, {day}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f"<h1>KOL credibility report, {day}</h1>",
             f'<p class="meta">Generated {generated}' + (f" from {e(source)}" if source else "")
             + ". Every score is a sum of named components: docs/methodology.md gives every formula.</p>"]
    for chart_id, svg, caption in sections:
        parts += [f'<section id="{chart_id}">', f"<h2>{e(CHARTS[chart_id])}</h2>",
                  f'<figure class="chart" data-chart="{chart_id}">', svg, f"<figcaption>{e(caption)}</figcaption>",
                  "</figure>"]
        if chart_id == "leaderboard":
            parts.append(f'<div class="scroll">{_table(data["leaders"])}</div>')
        parts.append("</section>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _table(rows) -> str:
    e = html.escape
    head = ["#", "platform", "handle", "tier", "niche", "followers", "score",
            *(c.replace("_", " ") for c in COMPONENTS)]
    text = {"platform", "handle", "tier", "niche"}
    out = ['<table class="leaderboard">', "<thead><tr>" + "".join(
        f'<th class="{"text" if h in text else "num"}">{e(h)}</th>' for h in head) + "</tr></thead>", "<tbody>"]
    for r in rows:
        cells = [(r["rank"], False), (r["platform"], True), (r["handle"], True), (r["tier"], True),
                 (r["niche"] or "–", True), (f"{r['followers']:,}" if r["followers"] is not None else "–", False),
                 (f"{float(r['credibility_score']):.2f}", False),
                 *(("–" if r[f"{c}_points"] is None else f"{float(r[f'{c}_points']):.2f}", False) for c in COMPONENTS)]
        out.append("<tr>" + "".join(f'<td class="{"text" if t else "num"}">{e(str(v))}</td>' for v, t in cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)
