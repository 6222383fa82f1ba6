"""Write the demo world's file exports for a date range: what analysts download from
creator dashboards, plus the interaction records and the answer key.

    python -m ingestion.demo.generate --preset small --start 2026-11-01 --end 2026-11-14 --out data/demo_exports

For each platform and day it writes, under ``<out>/<platform>/dt=<day>/``:

- the platform's dashboard export(s) (``export_files`` of ``ingestion/demo/<platform>_api.py``):
  CSV with the dashboard's own headers, UTF-8 with a BOM for the Chinese ones;
- ``commerce.csv``: sponsored posts and live streams published that day, with
  impressions, clicks, orders and GMV (what a brand-collaboration dashboard reports);
- ``interactions.parquet``: every like, comment, reply, follow and unfollow of the
  day, one row each. No real platform exports this; the demo writes it so that the
  benchmarks have interaction records at scale.

and ``<out>/ground_truth.json``, the planted truths of the whole range, which the
export API never serves. Days are independent: each costs what that day holds, so
``--start`` can be any day and ranges can be written in parallel processes. Memory
stays bounded: one platform-day is held at a time, and the world's memo is capped.
Every file is written to a temporary name and renamed, so a crash leaves no half file.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.demo.world import PLATFORMS, PRESETS, World

COMMERCE_COLUMNS = ["platform", "account_id", "post_id", "kind", "brand", "day", "product_url", "impressions", "clicks",
                    "orders", "gmv", "currency"]


def _write_atomic(path: Path, payload: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
    return len(payload)


def commerce_csv(world: World, platform: str, day: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COMMERCE_COLUMNS)
    for kol in world.kols(platform):
        for e in world.commerce_on(kol, day):
            writer.writerow([e.platform, e.account_id, e.post_id, e.kind, e.brand, e.day.isoformat(), e.product_url,
                             e.impressions,
                             e.clicks, e.orders, f"{e.gmv:.2f}", e.currency])
    return out.getvalue().encode("utf-8")


def interactions_parquet(world: World, platform: str, day: date) -> tuple[bytes, int]:
    table = world.interaction_events(platform, day)
    # A total order, so that the same day always writes the same bytes (dictionary columns do not sort).
    keys = pa.table({"account_id": table["account_id"], "event_time": table["event_time"],
                     "kind": table["kind"].cast(pa.string()), "actor_id": table["actor_id"],
                     "post_id": table["post_id"]})
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    table = table.take(order)
    sink = io.BytesIO()
    # Fixed writer settings and no created_by timestamp: the same day gives the same bytes.
    pq.write_table(table, sink, compression="zstd", use_dictionary=True, write_statistics=True)
    return sink.getvalue(), table.num_rows


def generate_day(world: World, platform: str, day: date, out: Path, interactions: bool = True) -> dict:
    """Write one platform-day's files; returns what was written."""
    from ingestion.demo.server import MODULES

    folder = out / platform / f"dt={day.isoformat()}"
    written = {"files": 0, "bytes": 0, "interaction_records": 0}
    files = dict(MODULES[platform].export_files(world, day))
    files["commerce.csv"] = commerce_csv(world, platform, day)
    if interactions:
        files["interactions.parquet"], written["interaction_records"] = interactions_parquet(world, platform, day)
    for name, payload in sorted(files.items()):
        written["bytes"] += _write_atomic(folder / name, payload)
        written["files"] += 1
    return written


def generate(world: World, start: date, end: date, out: Path, platforms: tuple[str, ...] = PLATFORMS,
             interactions: bool = True, progress=None) -> dict:
    totals = {"preset": world.preset.name, "seed": world.seed, "start": start.isoformat(), "end": end.isoformat(),
              "days": (end - start).days + 1, "platforms": list(platforms), "files": 0, "bytes": 0,
              "interaction_records": 0}
    began = time.perf_counter()
    day = start
    while day <= end:
        for platform in platforms:
            written = generate_day(world, platform, day, out, interactions)
            for k in ("files", "bytes", "interaction_records"):
                totals[k] += written[k]
        if progress:
            progress(day, totals)
        day += timedelta(days=1)
    truth = json.dumps(world.ground_truth(start, end), ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    totals["bytes"] += _write_atomic(out / "ground_truth.json", truth)
    totals["files"] += 1
    totals["seconds"] = round(time.perf_counter() - began, 2)
    totals["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return totals


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), default=os.environ.get("KOL_DEMO_PRESET", "small"))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("KOL_DEMO_SEED", "7")))
    parser.add_argument("--start", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=_day, help="last day, YYYY-MM-DD (default: --start)")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("KOL_DATA_DIR", "data")) / "demo_exports")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="comma-separated (default: all nine)")
    parser.add_argument("--no-interactions", action="store_true", help="skip interactions.parquet")
    args = parser.parse_args(argv)
    end = args.end or args.start
    if end < args.start:
        parser.error(f"--end {end} is before --start {args.start}")
    platforms = tuple(p.strip() for p in args.platforms.split(",") if p.strip())
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        parser.error(f"unknown platform(s) {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")

    def progress(day: date, totals: dict) -> None:
        print(f"\r{day}  {totals['interaction_records']:>12,} interaction records  "
              f"{totals['bytes'] / 2**20:>9.1f} MiB", end="", file=sys.stderr, flush=True)

    totals = generate(World(seed=args.seed, preset=args.preset), args.start, end, args.out, platforms,
                      not args.no_interactions, progress)
    print(file=sys.stderr)
    print(json.dumps(totals, indent=1))


if __name__ == "__main__":
    main()
