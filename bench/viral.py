"""A viral day (issue 9): one platform delivers 10 million comments in one day, as a bulk export
dropped in the inbox; the nightly run of that day must finish in under 3 minutes, every stage
under 4 GB of resident memory.

    .venv/bin/python -m bench.viral [--rows 10000000] [--platform weibo] [--no-docs]

1. **Baseline**: the `large` history of ``bench/history.py`` (cached), cut to the viral day and the
   ``--baseline-days`` before it (symlinks: ``history.subset_lake``); the warehouse of the days
   before is built once with one ``dbt build`` and cached (``bench/.cache/viral-*``).
2. **The viral day**: ``--rows`` unified ``comments`` rows for one account of the lake and one day,
   most of them on one of its real posts, written with numpy and pyarrow in chunks as
   ``comments__viral_<day>.parquet``: ~2.5 million distinct commenters with handles, texts from
   a pool, the account's own replies (0.5 %), repeats of a comment id, a few hundred copies of
   comments the API also served that day (the API copy wins in dbt), and a small share of bad
   rows (required values missing, times in the future, oversized texts, an unknown platform,
   control characters in ids) so the quarantine is exercised.
3. **The nightly run of that day**, each stage in a process of its own (wall time, ``VmHWM``):
   the inbox (``ingestion.inbox.process_inbox``), then dbt's two invocations as the Dagster
   assets run them (``bench/warehouse.py``'s ``worker_dbt``, in process through ``dbtRunner``), the
   selections imported from ``orchestration/assets/dbt.py``: ``dbt build --select <seeds, staging,
   intermediate, tables> --indirect-selection buildable --vars {D..D}``, then ``dbt build --select
   <the daily marts> --vars {D-1..D}`` (unit tests left out, as the runs do).
4. **Correctness**: landed + quarantined + duplicates = rows; fct_account_interactions_daily's
   follower comments and creator replies of the account-day equal those counted straight from
   the lake's Parquet (API comments of the day plus the landed file's, the API's copy once).

Results: ``bench/results/viral.json`` and the "## A viral day" section of ``docs/benchmarks.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, history  # noqa: E402

DBT_DIR = ROOT / "dbt_project"

def selections() -> tuple[str, str, list[str]]:
    """The two selections of the Dagster assets and what runs leave out (orchestration/assets/dbt.py),
    imported so that the benchmark runs what the nightly run runs."""
    from orchestration.dbt_selection import INCREMENTAL, REBUILT_WHOLE, RUN_EXCLUDES

    return REBUILT_WHOLE, INCREMENTAL, list(RUN_EXCLUDES)

TARGET_S = 180.0
HISTORY_LAST = date(2026, 11, 25)
HISTORY_DAYS = 366
# The API columns of each platform's comments a viral day needs:
# (account, post, comment id, commenter, parent comment, written at).
API_COLUMNS = {
    "weibo": ("status_user_id", "status_id", "id", "user_id", "reply_comment_id", "created_at"),
    "douyin": ("open_id", "item_id", "comment_id", "comment_user_id", "reply_to_comment_id", "create_time"),
    "xiaohongshu": ("note_user_id", "note_id", "id", "user_id", "target_comment_id", "create_time"),
}
TEXTS = (
    "太好看了吧！", "请问色号是多少？", "你好厉害，学到了", "求链接", "第一次这么早", "哈哈哈哈哈哈", "支持支持",
    "这个真的有用吗", "你的视频每个都看", "mark一下", "蹲一个教程", "love it", "you are amazing", "where can I buy",
    "😍😍😍", "说得太对了", "路过", "转发了", "楼上说得对", "已关注，求回关", "这期内容好棒", "收藏了慢慢看",
    "前排", "笑死我了", "有被种草到", "真实测评吗？", "想看更多这种内容", "你用的什么相机", "太真实了", "好想去",
)


def measured(module: str, kind: str, spec: dict) -> dict:
    """``common.in_subprocess`` plus the process's CPU seconds (user + system, its children's included):
    on a shared machine the CPU time says what the wall time does not."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = common.in_subprocess(module, kind, spec)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu_s"] = round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2)
    return out


def window(first: date, last: date) -> str:
    return json.dumps({"min_date": first.isoformat(), "max_date": last.isoformat()})


# ---------------------------------------------------------------------------------------------
# Workers: one process per stage, one JSON line out.
# ---------------------------------------------------------------------------------------------

def worker_inbox(spec: dict) -> dict:
    """The inbox's landing of every file dropped in ``inbox`` (the nightly run's first stage)."""
    os.environ.update(spec.get("env", {}))
    from ingestion import inbox_bulk
    from ingestion.inbox import process_inbox

    began = time.perf_counter()
    reports = process_inbox(Path(spec["inbox"]), Path(spec["lake"]), now=datetime.fromisoformat(spec["now"]))
    elapsed = time.perf_counter() - began
    return {"elapsed_s": round(elapsed, 3), "peak_mib": round(common.peak_rss_mib(), 1),
            "files": [{"file": r.file, "status": r.status, "error": r.error, "kind": r.kind,
                       "entities": {e: vars(c) for e, c in r.entities.items()}, "balanced": r.balanced,
                       "problems": r.problems[:5], "slices": r.slices} for r in reports],
            "fast_path": inbox_bulk.LAST}


def worker_generate(spec: dict) -> dict:
    """Write the viral day's file (numpy and pyarrow, in chunks); returns what it holds."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows, chunk = spec["rows"], 1_000_000
    platform, account, posts, own_handle = spec["platform"], spec["account_id"], spec["posts"], spec["account_handle"]
    viral_post = posts[0]
    day = date.fromisoformat(spec["day"])
    start_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1_000_000)
    commenters = spec["distinct_commenters"]
    api_copies = spec["api_copies"]  # [comment_id, post_id] the API served that day
    rng = np.random.default_rng(20261125)
    ts_type = pa.timestamp("us", tz="UTC")
    schema = pa.schema([("platform", pa.string()), ("account_id", pa.string()), ("post_id", pa.string()),
                        ("comment_id", pa.string()), ("commenter_id", pa.string()),
                        ("commenter_handle", pa.string()), ("commented_at", ts_type),
                        ("comment_text", pa.string()), ("parent_comment_id", pa.string())])
    texts = pa.array(TEXTS, pa.string())
    prefixes = pa.array(["fan_", "用户", "user", "小", "ww_", "momo", "bb", "喵"], pa.string())
    bad = {"missing commenter_id": 0, "in the future": 0, "oversized text": 0, "unknown platform": 0,
           "control character in comment_id": 0}
    expected = {"replies": 0, "repeats": 0, "api_copies": 0}
    out = Path(spec["path"])
    began = time.perf_counter()
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            idx = np.arange(first, first + n, dtype=np.int64)
            comment_id = pc.binary_join_element_wise(f"v{day:%Y%m%d}", pa.array(idx).cast(pa.string()), "")
            # 90 % on the viral post, the rest on the account's other posts
            post_pick = np.where(rng.random(n) < 0.9, 0, rng.integers(0, len(posts), n))
            post_id = pa.array(posts, pa.string()).take(pa.array(post_pick))
            who = rng.integers(0, commenters, n)
            who_s = pa.array(who).cast(pa.string())
            commenter_id = pc.binary_join_element_wise("77", who_s, "")
            handle = pc.binary_join_element_wise(prefixes.take(pa.array(who % len(prefixes))), who_s, "")
            at = pa.array(start_us + rng.integers(0, 86_400_000_000, n)).cast(ts_type)
            text = texts.take(pa.array(rng.integers(0, len(texts), n)))
            # a share of the comments says something of its own (a stock phrase and more), so the
            # day is not made of a few dozen texts that a per-distinct-text step would find for free
            own_words = rng.random(n) < spec.get("distinct_text_share", 0.5)
            text = pc.if_else(pa.array(own_words), pc.binary_join_element_wise(
                text, pa.array(idx).cast(pa.string()), " #"), text)
            parent = pa.nulls(n, pa.string())
            # the account's own replies, to comments written before them
            reply = rng.random(n) < 0.005
            reply_to = pc.binary_join_element_wise(
                f"v{day:%Y%m%d}", pa.array(rng.integers(0, max(first, 1), n) if first else rng.integers(0, n, n))
                .cast(pa.string()), "")
            commenter_id = pc.if_else(pa.array(reply), account, commenter_id)
            handle = pc.if_else(pa.array(reply), own_handle, handle)
            parent = pc.if_else(pa.array(reply), reply_to, parent)
            expected["replies"] += int(reply.sum())
            # repeats of an earlier comment id (the later row wins), 0.05 %
            repeat = (rng.random(n) < 0.0005) & ~reply
            comment_id = pc.if_else(pa.array(repeat), pc.binary_join_element_wise(
                f"v{day:%Y%m%d}", pa.array(np.maximum(idx - 1 - rng.integers(0, 1000, n), 0)).cast(pa.string()), ""),
                comment_id)
            expected["repeats"] += int(repeat.sum())
            platform_col = pa.array(np.full(n, platform, dtype=object), pa.string())
            account_col = pa.array(np.full(n, account, dtype=object), pa.string())
            table = pa.table({"platform": platform_col, "account_id": account_col, "post_id": post_id,
                              "comment_id": comment_id, "commenter_id": commenter_id, "commenter_handle": handle,
                              "commented_at": at, "comment_text": text, "parent_comment_id": parent}, schema=schema)
            # a small share of bad rows (0.1 %), at fixed offsets of the chunk, never on a reply or a repeat
            bad_at = np.flatnonzero(~reply & ~repeat)[: max(n // 1000, 5)]
            patch = table.take(pa.array(bad_at)).to_pylist()
            for k, row in enumerate(patch):
                kind = k % 5
                if kind == 0:
                    row["commenter_id"] = None
                    bad["missing commenter_id"] += 1
                elif kind == 1:
                    row["commented_at"] = row["commented_at"] + timedelta(days=400)
                    bad["in the future"] += 1
                elif kind == 2 and k % 50 == 2:
                    row["comment_text"] = "长" * 10_001
                    bad["oversized text"] += 1
                elif kind == 2:
                    row["commenter_id"] = None
                    bad["missing commenter_id"] += 1
                elif kind == 3:
                    row["platform"] = "myspace"
                    bad["unknown platform"] += 1
                else:
                    row["comment_id"] = row["comment_id"][:3] + "\n" + row["comment_id"][3:]
                    bad["control character in comment_id"] += 1
            keep = np.ones(n, dtype=bool)
            keep[bad_at] = False
            parts = [table.filter(pa.array(keep)), pa.Table.from_pylist(patch, schema=schema)]
            if first == 0 and api_copies:
                # comments the API served that day, in the export too: the API's copy wins in dbt
                copies = [{"platform": platform, "account_id": account, "post_id": p, "comment_id": c,
                           "commenter_id": f"api_copy_{i}", "commenter_handle": f"api_copy_{i}",
                           "commented_at": datetime.fromisoformat(t), "comment_text": "也在 API 里",
                           "parent_comment_id": None} for i, (c, p, t) in enumerate(api_copies)]
                parts[0] = parts[0].slice(0, parts[0].num_rows - len(copies))
                parts.append(pa.Table.from_pylist(copies, schema=schema))
                expected["api_copies"] = len(copies)
            for part in parts:
                writer.write_table(part, row_group_size=1_000_000)
    return {"elapsed_s": round(time.perf_counter() - began, 2), "peak_mib": round(common.peak_rss_mib(), 1),
            "bytes": out.stat().st_size, "rows": rows, "bad": bad, **expected}


def worker_check(spec: dict) -> dict:
    """The marts' view of the viral account-day beside the lake's own Parquet, counted directly."""
    import duckdb

    lake, day, platform, account = spec["lake"], spec["day"], spec["platform"], spec["account_id"]
    acc_col, _, id_col, user_col, parent_col, at_col = API_COLUMNS[platform]
    con = duckdb.connect(spec["warehouse"], read_only=True)
    mart = con.execute(
        "select follower_comments, creator_replies, unique_commenters from main.fct_account_interactions_daily "
        "where account_key = ? and date_day = ?", [f"{platform}:{account}", day]).fetchone()
    events = con.execute(
        "select count(*), count(*) filter (where is_follower_comment) from main.int_comment_events "
        "where account_key = ? and partition_date = ?", [f"{platform}:{account}", day]).fetchone()
    con.close()
    raw = duckdb.connect()
    counted = raw.execute(f"""
        with api as (
            select cast({id_col} as varchar) as comment_id, cast({user_col} as varchar) as commenter_id,
                   cast({parent_col} as varchar) as parent_comment_id, cast(timezone('UTC', {at_col}) as date) as d
            from read_parquet('{lake}/raw/{platform}/comments/dt={day}/*.parquet')
            where cast({acc_col} as varchar) = $account
        ),
        files as (
            select comment_id, commenter_id, parent_comment_id, cast(timezone('UTC', commented_at) as date) as d
            from read_parquet('{lake}/raw/files/comments/dt={day}/*.parquet')
            where platform = $platform and account_id = $account
        ),
        both_ as (
            select * from api
            union all
            select * from files where comment_id not in (select comment_id from api)
        )
        select count(*) filter (where commenter_id <> $account and d = $day),
               count(*) filter (where commenter_id = $account and parent_comment_id is not null and d = $day),
               count(distinct commenter_id) filter (where commenter_id <> $account and d = $day),
               (select count(*) from files), (select count(*) from api),
               (select count(*) from files where comment_id in (select comment_id from api))
        from both_
    """, {"account": account, "platform": platform, "day": date.fromisoformat(day)}).fetchone()
    raw.close()
    return {"mart": {"follower_comments": mart[0], "creator_replies": mart[1], "unique_commenters": mart[2]}
            if mart else None,
            "int_comment_events": {"comments": events[0], "follower_comments": events[1]},
            "lake": {"follower_comments": counted[0], "creator_replies": counted[1], "unique_commenters": counted[2],
                     "file_rows": counted[3], "api_rows": counted[4], "file_rows_the_api_also_has": counted[5]}}


WORKERS = {"inbox": worker_inbox, "generate": worker_generate, "check": worker_check}


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def dbt(args: list[str], lake: Path, warehouse: Path, scratch: Path, name: str) -> dict:
    env = {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    run = scratch / f"dbt-{name}"
    out = measured("bench.warehouse", "dbt", {"args": args, "env": env, "target_path": str(run / "target"),
                                                         "log_path": str(run / "logs")})
    if not out["success"]:
        raise RuntimeError(f"dbt {name} failed: {out['failed']} (see {run}/logs)")
    shutil.rmtree(run, ignore_errors=True)
    return out


def pick_account(lake: Path, platform: str, day: date) -> dict:
    """The account with the most API comments on the day, its posts (the most commented first) and
    a few of that day's API comments to copy into the export."""
    import duckdb

    acc_col, post_col, id_col, _, _, at_col = API_COLUMNS[platform]
    con = duckdb.connect()
    src = f"read_parquet('{lake}/raw/{platform}/comments/dt={day}/*.parquet')"
    account = con.execute(f"select cast({acc_col} as varchar) from {src} group by 1 order by count(*) desc, 1 "
                          "limit 1").fetchone()[0]
    posts = [r[0] for r in con.execute(f"select cast({post_col} as varchar) from {src} where {acc_col} = ? "
                                       "group by 1 order by count(*) desc, 1", [account]).fetchall()]
    copies = [[r[0], r[1], r[2]] for r in con.execute(
        f"select cast({id_col} as varchar), cast({post_col} as varchar), "
        f"strftime(timezone('UTC', {at_col}), '%Y-%m-%dT%H:%M:%S+00:00') "
        f"from {src} where {acc_col} = ? order by 1 limit 300", [account]).fetchall()]
    con.close()
    return {"account_id": account, "posts": posts, "api_copies": copies}


def run(args: argparse.Namespace, log=print) -> dict:
    day = date.fromisoformat(args.day)
    first = day - timedelta(days=args.baseline_days)
    began = time.perf_counter()
    results = {"benchmark": "viral", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": common.machine(), "versions": common.versions("duckdb", "dbt-core", "dbt-duckdb", "pyarrow"),
               "config": {"rows": args.rows, "platform": args.platform, "day": day.isoformat(),
                          "baseline_days": args.baseline_days, "distinct_commenters": args.commenters,
                          "distinct_text_share": args.distinct_text_share,
                          "targets": {"nightly_s": TARGET_S, "peak_mib": common.MEMORY_LIMIT_MIB}}}
    built = history.build(HISTORY_LAST, HISTORY_DAYS, 7, Path(args.cache), log=log)
    work = Path(args.cache) / f"viral-{day}-{args.baseline_days}d"
    work.mkdir(parents=True, exist_ok=True)
    lake = history.subset_lake(built, first, day, work / "lake")  # the inbox lands into real folders beside the links
    shutil.rmtree(work / "lake" / "quarantine", ignore_errors=True)
    baseline = work / "baseline.duckdb"
    if not baseline.exists():
        log(f"viral: building the baseline warehouse ({first} .. {day - timedelta(days=1)})")
        scratch0 = Path(tempfile.mkdtemp(prefix="kol-bench-viral-base-"))
        try:
            out = dbt(["build", "--vars", window(first, day - timedelta(days=1))], lake, scratch0 / "w.duckdb",
                      scratch0, "baseline")
            shutil.move(str(scratch0 / "w.duckdb"), baseline)
            (work / "baseline.json").write_text(json.dumps({k: out[k] for k in ("elapsed_s", "peak_mib", "nodes")}))
        finally:
            shutil.rmtree(scratch0, ignore_errors=True)
    results["baseline"] = json.loads((work / "baseline.json").read_text())
    scratch = Path(tempfile.mkdtemp(prefix="kol-bench-viral-", dir=args.scratch or None))
    try:
        warehouse = scratch / "warehouse.duckdb"
        shutil.copy(baseline, warehouse)
        inbox = scratch / "inbox"
        inbox.mkdir()
        viral = pick_account(lake, args.platform, day)
        file = inbox / f"comments__viral_{day}.parquet"
        log(f"viral: writing {args.rows:,} comments for {args.platform}:{viral['account_id']} on {day}")
        gen = common.in_subprocess("bench.viral", "generate", {
            "rows": args.rows, "platform": args.platform, "account_id": viral["account_id"], "posts": viral["posts"],
            "account_handle": f"kol_{viral['account_id']}", "day": day.isoformat(), "path": str(file),
            "distinct_commenters": args.commenters, "distinct_text_share": args.distinct_text_share,
            "api_copies": viral["api_copies"]})
        results["generated"] = {**gen, "account_id": viral["account_id"], "viral_post": viral["posts"][0]}
        log(f"viral: file written in {gen['elapsed_s']:.1f} s ({gen['bytes'] / 2**20:,.0f} MiB)")

        now = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1, hours=2)
        stages = {}
        stages["inbox"] = measured("bench.viral", "inbox", {
            "inbox": str(inbox), "lake": str(lake), "now": now.isoformat()})
        log(f"viral: inbox {stages['inbox']['process_s']:.1f} s, peak {stages['inbox']['peak_mib']:,.0f} MiB")
        rebuilt_whole, incremental, excludes = selections()
        results["config"]["selections"] = [rebuilt_whole, incremental, excludes]
        stages["dbt_models"] = dbt(["build", "--select", rebuilt_whole, "--indirect-selection", "buildable",
                                    *excludes, "--vars", window(day, day)], lake, warehouse, scratch, "models")
        log(f"viral: dbt models {stages['dbt_models']['process_s']:.1f} s, peak "
            f"{stages['dbt_models']['peak_mib']:,.0f} MiB")
        stages["dbt_marts"] = dbt(["build", "--select", incremental, *excludes,
                                   "--vars", window(day - timedelta(days=1), day)], lake, warehouse, scratch, "marts")
        log(f"viral: dbt marts {stages['dbt_marts']['process_s']:.1f} s, peak {stages['dbt_marts']['peak_mib']:,.0f} MiB")
        results["stages"] = stages
        results["total_s"] = round(sum(s["process_s"] for s in stages.values()), 2)
        results["total_cpu_s"] = round(sum(s["cpu_s"] for s in stages.values()), 2)
        results["peak_mib"] = max(s["peak_mib"] for s in stages.values())
        report = stages["inbox"]["files"][0]
        counts = report["entities"].get("comments", {})
        results["counts"] = counts
        results["balanced"] = counts.get("fetched") == args.rows == (counts.get("landed", 0) + counts.get("quarantined", 0)
                                                                      + counts.get("duplicates", 0))
        check = common.in_subprocess("bench.viral", "check", {
            "warehouse": str(warehouse), "lake": str(lake), "day": day.isoformat(), "platform": args.platform,
            "account_id": viral["account_id"]})
        results["check"] = check
        mart, counted = check["mart"] or {}, check["lake"]
        results["correct"] = bool(results["balanced"] and mart and all(
            mart[k] == counted[k] for k in ("follower_comments", "creator_replies", "unique_commenters")))
        results["warehouse_mib"] = round(warehouse.stat().st_size / 2**20, 1)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(lake / "raw" / "files" / "comments", ignore_errors=True)
            shutil.rmtree(lake / "quarantine", ignore_errors=True)
        else:
            log(f"viral: kept {scratch} and the landed comments in {lake}")
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - began, 1)
    return results


def render(r: dict) -> str:
    m, c, s = r["machine"], r["config"], r["stages"]
    g, counts, check = r["generated"], r["counts"], r["check"]
    ok_time, ok_mem = r["total_s"] < TARGET_S, r["peak_mib"] < common.MEMORY_LIMIT_MIB
    lines = [
        f"`python -m bench.viral` (`bench/viral.py`): {c['rows']:,} {c['platform']} comments of one day "
        f"({c['day']}) dropped in the inbox as one unified Parquet file, on top of the `large` preset's "
        f"{c['baseline_days']} days before it. Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}; "
        f"DuckDB {r['versions'].get('duckdb')}, dbt-core {r['versions'].get('dbt-core')}, dbt-duckdb "
        f"{r['versions'].get('dbt-duckdb')}, pyarrow {r['versions'].get('pyarrow')}; commit "
        f"{r['versions'].get('kol-warehouse commit')} ({r['versions'].get('kol-warehouse tree')} tree); "
        f"{r['generated_at']}; load average {', '.join(f'{x:.1f}' for x in m['load_average_before'])} before, "
        f"{', '.join(f'{x:.1f}' for x in m.get('load_average_after', []))} after.",
        "",
        f"The file: {g['bytes'] / 2**20:,.0f} MiB, written in {g['elapsed_s']:.0f} s; account "
        f"`{c['platform']}:{g['account_id']}`, 90 % of the rows on its post `{g['viral_post']}`, "
        f"{c['distinct_commenters']:,} possible commenters, "
        f"{c.get('distinct_text_share', 0) * 100:.0f} % of the texts their own (the rest a few dozen stock phrases), "
        f"{g['replies']:,} replies by the account, "
        f"{g['repeats']:,} repeated comment ids, {g['api_copies']} comments the API also served, "
        f"{sum(g['bad'].values()):,} bad rows ({', '.join(f'{k} {v:,}' for k, v in g['bad'].items())}).",
        "",
        "| stage | s (process) | s (own) | CPU s | peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    names = {"inbox": "inbox landing (`process_inbox`)", "dbt_models": "dbt build: seeds, staging, intermediate, tables",
             "dbt_marts": "dbt build: daily marts"}
    for k, v in s.items():
        lines.append(f"| {names[k]} | {common.fmt(v['process_s'])} | {common.fmt(v['elapsed_s'])} | "
                     f"{common.fmt(v.get('cpu_s'))} | {common.fmt(v['peak_mib'], 0)} |")
    lines += [f"| **nightly run** | **{common.fmt(r['total_s'])}** | | {common.fmt(r.get('total_cpu_s'))} | "
              f"**{common.fmt(r['peak_mib'], 0)}** |", "",
              "*s (process)* is each stage's wall time from process start (interpreter, imports, dbt's parse) "
              "to exit; *s (own)* the stage's own work; *CPU s* user + system time of the process (2 cores: "
              "wall time can be below it).", "",
              f"Target: under {TARGET_S:.0f} s ({'met' if ok_time else '**not met**'}); every stage under "
              f"{common.MEMORY_LIMIT_MIB:,} MiB ({'met' if ok_mem else '**not met**'}).", ""]
    fast = s["inbox"].get("fast_path", {})
    fp = next(iter(fast.values()), None)
    lines += [f"Inbox accounting: {counts.get('fetched', 0):,} rows = {counts.get('landed', 0):,} landed + "
              f"{counts.get('quarantined', 0):,} quarantined + {counts.get('duplicates', 0):,} duplicates "
              f"({'balanced' if r['balanced'] else '**does not balance**'})"
              + (f"; {fp['column_wise']:,} rows validated column-wise, {fp['row_by_row']:,} by the row path's "
                 "functions." if fp else "."), ""]
    mart, lake = check.get("mart") or {}, check["lake"]
    lines += ["Correctness of the marts for the account-day (fct_account_interactions_daily against the lake's "
              "Parquet counted directly, the API's copy of a comment once):", "",
              "| | mart | lake |", "|---|---:|---:|"]
    for k in ("follower_comments", "creator_replies", "unique_commenters"):
        lines.append(f"| {k} | {mart.get(k, '–'):,} | {lake[k]:,} |" if mart else f"| {k} | – | {lake[k]:,} |")
    lines += ["", f"{'Equal' if r['correct'] else '**Not equal**'}. Slowest dbt nodes (s): models "
              + ", ".join(f"`{n}` {t}" for n, t in s["dbt_models"]["slowest"][:5]) + "; marts "
              + ", ".join(f"`{n}` {t}" for n, t in s["dbt_marts"]["slowest"][:5]) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(WORKERS[argv[1]](json.loads(argv[2])), default=str))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--platform", default="weibo", choices=sorted(API_COLUMNS))
    parser.add_argument("--day", default=HISTORY_LAST.isoformat(), help="the viral day (a day of the cached history)")
    parser.add_argument("--baseline-days", type=int, default=7, help="days of the warehouse before the viral day")
    parser.add_argument("--commenters", type=int, default=2_500_000, help="distinct commenters to draw from")
    parser.add_argument("--distinct-text-share", type=float, default=0.5,
                        help="share of the comments whose text is their own (the rest: a few dozen stock phrases)")
    parser.add_argument("--cache", default=str(history.DEFAULT_CACHE))
    parser.add_argument("--scratch", default="", help="where the inbox and the warehouse go (default: system temp)")
    parser.add_argument("--results", default=str(common.RESULTS_DIR / "viral.json"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch warehouse and the landed comments")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    results = run(args, log=lambda msg: print(msg, flush=True))
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    if not args.no_docs:
        common.write_section("A viral day", render(results))
    print(render(results))


if __name__ == "__main__":
    main()
