"""A year of `large` history for the warehouse benchmarks, built in minutes rather than hours.

    .venv/bin/python -m bench.history --last 2026-11-25 --days 366 --out bench/.cache/history

Simulating a day of the `large` preset through the demo export API costs about 45 CPU-seconds (nine
platforms: the world's comments, audiences and pages, JSON both ways), so a year would take four to
five hours of this 2-core machine. The benchmarks need a year's *volume and shape*, not a year of
distinct stories, so the history is built in two steps:

1. **Real days**: the last ``--real-days`` days are pulled from the demo export API exactly as the
   nightly job does (``pull_platform_day`` for the nine platforms, two processes with a server each),
   and the day's dashboard files and ``commerce.csv`` go through the inbox.
2. **Earlier days are copies of that block, moved back in time**: copy *k* of a landed slice goes to
   ``dt`` minus *k* blocks, with every date and timestamp column moved back by the same days and every
   post and comment id prefixed with *k* (so each copy's posts and comments are new ones, and its
   replies still point at its own comments). Accounts, followers and audience ids stay: the same KOLs
   over the whole year. Each copy is therefore a consistent week of the world; at the seams between
   copies follower counts step back to where the block started, which the marts see as an ordinary
   (if odd) day.

The result is cached: built once for a (last day, days, real days, seed) and reused by later runs.
Slices carry their manifests (``fetched = landed + quarantined + duplicates``, moved with them), so the
Dagster gate and the dbt models see an ordinary lake.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingestion.lake_upgrade import CONTRACT_FILE, upgrade_lake  # noqa: E402

PLATFORMS = ("weibo", "douyin", "xiaohongshu", "bilibili", "wechat", "instagram", "tiktok", "youtube", "x")
DEFAULT_CACHE = ROOT / "bench" / ".cache"
BUILD_FORMAT = 1  # bump when the way history is built changes: a cached history of another format is rebuilt

# The post and comment ids of each entity (what a copy must renumber so that its posts are new
# ones); account and audience ids are not here on purpose: a copy is the same KOLs on other days.
CONTENT_IDS = {
    "weibo": {"posts": ["id", "mid"], "post_metrics": ["id"], "comments": ["id", "status_id", "reply_comment_id"]},
    "douyin": {"posts": ["item_id"], "post_metrics": ["item_id"],
               "comments": ["comment_id", "item_id", "reply_to_comment_id"]},
    "xiaohongshu": {"posts": ["note_id"], "post_metrics": ["note_id"],
                    "comments": ["id", "note_id", "root_comment_id", "target_comment_id"]},
    "bilibili": {"posts": ["aid", "bvid"], "post_metrics": ["aid"], "comments": ["rpid", "oid", "root", "parent"]},
    "wechat": {"posts": ["msgid", "msg_data_id"], "post_metrics": ["msgid"],
               "comments": ["msgid", "user_comment_id", "reply_to_user_comment_id"]},
    "instagram": {"posts": ["id"], "post_metrics": ["id"], "comments": ["id", "media_id", "parent_id"]},
    "tiktok": {"posts": ["id"], "post_metrics": ["id"], "comments": ["id", "video_id", "parent_comment_id"]},
    "youtube": {"posts": ["id"], "post_metrics": ["id"], "comments": ["id", "videoId", "parentId"]},
    "x": {"posts": ["id", "conversation_id"], "post_metrics": ["id"],
          "comments": ["id", "conversation_id", "replied_to_id"]},
    "files": {"posts": ["post_id"], "post_metrics": ["post_id"], "commerce": ["post_id"],
              "comments": ["comment_id", "post_id", "parent_comment_id"]},
}


def _tokens() -> dict[str, str]:
    return {p: f"bench-history-{p}" for p in PLATFORMS}


def pull_real_days(lake: Path, first: date, last: date, platforms: list[str]) -> None:
    """Worker: pull ``platforms`` for every day first..last from a demo export API of its own."""
    from ingestion.demo.server import DemoExportServer
    from ingestion.pull import pull_platform_day

    tokens = _tokens()
    for p, t in tokens.items():
        os.environ[f"KOL_{p.upper()}_ACCESS_TOKEN"] = t
    with DemoExportServer(tokens=tokens) as server:
        for p in platforms:
            os.environ[f"KOL_{p.upper()}_BASE_URL"] = server.base_url(p)
        day = first
        while day <= last:
            for p in platforms:
                pull_platform_day(p, day, lake=lake)
            day += timedelta(days=1)


def land_inbox_days(lake: Path, first: date, last: date, work: Path) -> None:
    """The day's dashboard files and commerce.csv, dropped in an inbox and landed, as mklake does."""
    from ingestion.demo.generate import generate
    from ingestion.demo.world import default_world
    from ingestion.inbox import process_inbox

    exports, inbox = work / "exports", work / "inbox"
    generate(default_world(), first, last, exports, interactions=False)
    inbox.mkdir(parents=True, exist_ok=True)
    for f in sorted(exports.glob("*/dt=*/*.csv")):
        platform, dt = f.parts[-3], f.parts[-2][3:]
        shutil.copy(f, inbox / (f.name if f.name != "commerce.csv" else f"commerce_{platform}_{dt}.csv"))
    reports = process_inbox(inbox, lake)
    bad = [r for r in reports if getattr(r, "status", "landed") != "landed"]
    if bad:
        raise RuntimeError(f"inbox refused demo files: {bad[:3]}")


def shift_table(table, days: int, prefix: str | None, id_columns: list[str]):
    """``table`` moved back ``days`` days (every date and timestamp column) with ``id_columns``
    prefixed by ``prefix`` (nulls stay null). Vectorised: one compute call per column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    delta_days = pa.scalar(days, pa.int32())
    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_date32(field.type):
            column = pc.cast(pc.subtract(pc.cast(column, pa.int32()), delta_days), pa.date32())
        elif pa.types.is_timestamp(field.type):
            unit_per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[field.type.unit]
            as_int = pc.cast(column, pa.int64())
            column = pc.cast(pc.subtract(as_int, pa.scalar(days * unit_per_day, pa.int64())), field.type)
        elif prefix and field.name in id_columns and pa.types.is_string(field.type):
            column = pc.binary_join_element_wise(pa.scalar(prefix), column, "")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def replicate(lake: Path, real_first: date, real_last: date, first: date) -> int:
    """Fill ``first`` .. ``real_first - 1`` with copies of the real block; returns the files written."""
    import pyarrow.parquet as pq

    block = (real_last - real_first).days + 1
    written = 0
    for entity_dir in sorted(p for p in (lake / "raw").glob("*/*") if p.is_dir()):
        platform, entity = entity_dir.parts[-2], entity_dir.parts[-1]
        ids = CONTENT_IDS.get(platform, {}).get(entity, [])
        for slice_dir in sorted(entity_dir.glob("dt=*")):
            day = date.fromisoformat(slice_dir.name[3:])
            if not (real_first <= day <= real_last):
                continue
            files = sorted(slice_dir.glob("*.parquet"))
            tables = {f.name: pq.read_table(f) for f in files}
            k = 1
            while day - timedelta(days=k * block) >= first:
                back = k * block
                target = entity_dir / f"dt={(day - timedelta(days=back)).isoformat()}"
                target.mkdir(parents=True, exist_ok=True)
                for name, table in tables.items():
                    shifted = shift_table(table, back, f"{k:03d}", ids)
                    pq.write_table(shifted, target / name, compression="zstd")
                    written += 1
                for manifest in slice_dir.glob("_manifest*.json"):
                    meta = json.loads(manifest.read_text())
                    if "day" in meta:
                        meta["day"] = (date.fromisoformat(meta["day"]) - timedelta(days=back)).isoformat()
                    (target / manifest.name).write_text(json.dumps(meta))
                k += 1
    return written


def history_dir(cache: Path, last: date, days: int, real_days: int) -> Path:
    seed = os.environ.get("KOL_DEMO_SEED", "default")
    return cache / f"large-{last.isoformat()}-{days}d-{real_days}real-seed{seed}-v{BUILD_FORMAT}"


def build(last: date, days: int, real_days: int, cache: Path = DEFAULT_CACHE, log=print) -> Path:
    """The lake of ``days`` days ending ``last`` (cached); returns the directory holding ``lake``."""
    out = history_dir(cache, last, days, real_days)
    done = out / "BUILT.json"
    if done.exists():
        log(f"history: cached {out}")
        upgrade_lake(out / "lake")  # records the lake as on the contract once (as the orchestrator would)
        return out
    shutil.rmtree(out, ignore_errors=True)
    lake = out / "lake"
    real_first = last - timedelta(days=real_days - 1)
    first = last - timedelta(days=days - 1)
    began = time.perf_counter()
    env = os.environ | {"KOL_DEMO_PRESET": "large"}
    halves = [list(PLATFORMS[0::2]), list(PLATFORMS[1::2])]
    procs = [subprocess.Popen([sys.executable, "-m", "bench.history", "--worker", json.dumps(
        {"lake": str(lake), "first": real_first.isoformat(), "last": last.isoformat(), "platforms": h})],
        cwd=ROOT, env=env) for h in halves]
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError("pulling the real days of the history failed (see above)")
    os.environ["KOL_DEMO_PRESET"] = "large"
    land_inbox_days(lake, real_first, last, out / "work")
    shutil.rmtree(out / "work", ignore_errors=True)
    pulled = time.perf_counter() - began
    log(f"history: {real_days} real days of large pulled in {pulled:.0f} s; copying them back to {first}")
    copies = replicate(lake, real_first, last, first)
    # The encrypted raw answers are for replay and audits, not for dbt: a benchmark lake needs none.
    shutil.rmtree(lake / "responses", ignore_errors=True)
    meta = {"last": last.isoformat(), "first": first.isoformat(), "days": days, "real_days": real_days,
            "pull_s": round(pulled, 1), "copy_files": copies, "total_s": round(time.perf_counter() - began, 1)}
    upgrade_lake(lake)
    done.write_text(json.dumps(meta, indent=2))
    log(f"history: {days} days built in {meta['total_s']:.0f} s ({copies} copied files)")
    return out


def subset_lake(history: Path, first: date, last: date, out: Path) -> Path:
    """A lake of the days first..last of ``history``, as symlinks to its slices (no copying)."""
    shutil.rmtree(out, ignore_errors=True)
    src = history / "lake" / "raw"
    for slice_dir in src.glob("*/*/dt=*"):
        day = date.fromisoformat(slice_dir.name[3:])
        if first <= day <= last:
            target = out / "raw" / slice_dir.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(slice_dir.resolve(), target_is_directory=True)
    copy_contract_record(history / "lake", out)
    return out


def copy_contract_record(lake: Path, out: Path) -> None:
    """A part of a lake is on the contract when the lake is: its record is copied, not re-derived
    from every footer again (ingestion/lake_upgrade.py)."""
    record = lake / "raw" / CONTRACT_FILE
    if record.exists():
        (out / "raw").mkdir(parents=True, exist_ok=True)
        shutil.copy(record, out / "raw" / CONTRACT_FILE)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        spec = json.loads(argv[1])
        pull_real_days(Path(spec["lake"]), date.fromisoformat(spec["first"]), date.fromisoformat(spec["last"]),
                       spec["platforms"])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--last", default="2026-11-25")
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--real-days", type=int, default=7)
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    args = parser.parse_args(argv)
    print(build(date.fromisoformat(args.last), args.days, args.real_days, Path(args.cache)))


if __name__ == "__main__":
    main()
