"""Ingestion benchmark: one day of a demo preset, each figure beside a reference measured in the same run.

    make bench-ingestion                       # or: .venv/bin/python -m bench.ingestion
    .venv/bin/python -m bench.ingestion --preset medium --day 2026-11-20 --platforms weibo,instagram --repeat 3

Figures (median of ``--repeat`` runs each; peak memory beside each):

1. **normalise and land**: records/s from a platform-day's raw records (the ``RawDay`` a connector
   returns, captured once over HTTP) to landed Parquet: ``normalize`` and ``drop_already_landed`` of
   every entity, then ``land`` of every entity, as ``ingestion/pull.py`` does, into a fresh lake.
   Reference, the machine's limit: DuckDB's ``read_json`` turning the same payloads, one JSON object a
   line (NDJSON, one file per entity), into one zstd Parquet file per entity. DuckDB parses the bytes
   and the pipeline starts from parsed dicts, so a second pipeline figure starts from the same NDJSON
   bytes too (``json.loads`` per line, then the same normalise and land). Target: a third of DuckDB.
2. **pull end to end**: ``pull_platform_day`` over HTTP from the demo export API into a fresh lake;
   records are the SliceReports' ``fetched``, summed over entities. Reference: dlt's REST API source
   pulling the same endpoints, accounts and day (``bench/dlt_rest_api.py``, run in ``bench/.venv-dlt``).
   Both count the same API items for the ratio: profiles, media (posts are a subset of post_metrics,
   the same items), comments (replies included) and audience. Target: 5 times dlt.
3. **memory**: peak memory of the end-to-end pull of one day of several presets, to see whether it
   grows with the size of the day.

How it is measured: the demo export API (``DemoExportServer`` over a ``World`` of the preset) runs
in this process, on loopback; every measurement runs in a subprocess of its own, which reports its
own elapsed time and its peak resident set (``VmHWM`` of ``/proc/self/status``, the high-water mark
of that process's own address space: interpreter, imported libraries and the work; the same mark
after imports is reported beside it as the baseline. Not ``getrusage().ru_maxrss``, nor
``/usr/bin/time``: Linux carries ``ru_maxrss`` across fork and exec, so each child would report
this process's peak, demo world included) and, for the memory check, the Python heap's peak
(``tracemalloc``, a separate run since tracing slows the work) and Arrow's memory pool peak. The
server therefore costs the measured process no memory and no GIL; it is warmed up by an untimed pull
of each platform first (which also captures the ``RawDay``), and this process's CPU time during a
measurement is the server's, reported as ``server_cpu_s``. Timings exclude interpreter start-up and
imports. Results: ``bench/results/ingestion.json`` and the "## Ingestion" section of
``docs/benchmarks.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/ingestion.py` as well as `python -m bench.ingestion`
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingestion.json"
DOCS = ROOT / "docs" / "benchmarks.md"
DLT_SCRIPT = ROOT / "bench" / "dlt_rest_api.py"
DLT_PYTHON = ROOT / "bench" / ".venv-dlt" / "bin" / "python"
TOKEN = "bench-token"
LAND_TARGET = 1 / 3  # of DuckDB's records/s
DLT_TARGET = 5.0  # times dlt's records/s
# What dlt loads per platform, by the project's entity whose items they are (top-level tables only;
# dlt's child tables such as statuses__pic_urls hold parts of those items, not items).
DLT_TABLES = {"instagram": {"profiles": "profiles", "media": "post_metrics", "comments": "comments",
                            "audience": "audience"},
              "weibo": {"profiles": "profiles", "statuses": "post_metrics", "comments": "comments",
                        "followers": "audience"}}
# The API items of a day: posts are the subset of post_metrics' items published in the lookback window.
ITEM_ENTITIES = ("profiles", "post_metrics", "comments", "audience")


def _rss_mib() -> float:
    """This process's peak resident set, MiB (``VmHWM``; see bench/common.py)."""
    return common.peak_rss_mib()


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------------------------------------
# Workers: each measurement runs in a process of its own and prints one JSON line.
# ---------------------------------------------------------------------------------------------

def _land_day(platform: str, day: date, lake: Path, raw, accounts: list[str]) -> int:
    """What ``pull_platform_day`` does after fetching: ``ingestion.pull.land_platform_day`` (normalise
    every entity, then drop what neighbouring slices hold and land each), without the HTTP."""
    from ingestion import pull
    from ingestion.http import HttpStats

    if hasattr(pull, "land_platform_day"):
        reports = pull.land_platform_day(platform, day, raw, accounts, lake, HttpStats())
        return sum(r.landed for r in reports)
    # Older trees inlined the same steps in pull_platform_day.
    from ingestion.landing import drop_already_landed, land, normalize
    from ingestion.platforms.base import LOOKBACK_DAYS
    from ingestion.schemas import ENTITIES

    keep = pull.kol_names(accounts, raw.records["profiles"])
    known = pull.KNOWN_FIELDS[platform] or {}
    normalised = {e: normalize(platform, e, raw.records[e], pull.CONNECTORS[platform][1][e],
                               known_fields=known.get(e), keep=keep) for e in ENTITIES}
    landed = 0
    for e in ENTITIES:
        result, already = drop_already_landed(lake, platform, e, day, normalised[e], LOOKBACK_DAYS)
        landed += land(lake, platform, e, day, result.table, result.quarantined, result.duplicates,
                       fetched=len(raw.records[e]), extra={"accounts": len(accounts), "already_landed": already}).landed
    return landed


def _memory_extras(spec: dict) -> dict:
    out = {}
    if spec.get("tracemalloc"):
        import tracemalloc
        out["python_heap_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    import pyarrow as pa
    out["arrow_pool_peak_mib"] = pa.default_memory_pool().max_memory() / 2**20
    return out


def worker_pull(spec: dict) -> dict:
    from ingestion.pull import pull_platform_day
    from ingestion.settings import PlatformSettings

    settings = PlatformSettings(spec["platform"], spec["base_url"], TOKEN)
    day = date.fromisoformat(spec["day"])
    baseline = _rss_mib()
    if spec.get("tracemalloc"):
        import tracemalloc
        tracemalloc.start()
    started = time.perf_counter()
    reports = pull_platform_day(spec["platform"], day, Path(spec["lake"]), settings, spec["accounts"])
    elapsed = time.perf_counter() - started
    fetched = {r.entity: r.fetched for r in reports}
    return {"elapsed_s": elapsed, "records": sum(fetched.values()), "fetched": fetched,
            "landed": sum(r.landed for r in reports), "peak_rss_mib": _rss_mib(), "baseline_rss_mib": baseline,
            **_memory_extras(spec)}


def worker_land(spec: dict) -> dict:
    """Normalise and land a captured RawDay; ``from_bytes`` re-parses the payloads from NDJSON first."""
    import pickle

    import ingestion.http  # noqa: F401  imported here, not inside the timed _land_day
    import ingestion.pull  # noqa: F401

    with open(spec["rawday"], "rb") as fh:
        raw = pickle.load(fh)
    try:
        from ingestion.spool import RecordSpool
    except ImportError:  # older trees keep plain lists
        RecordSpool = None
    if RecordSpool is not None:
        # The captured day stays in memory as one batch: this measures normalising and landing,
        # not reading spilled batches back (a fetch-side cost, inside the pull's figure).
        for e, recs in list(raw.records.items()):
            whole = RecordSpool(batch=len(recs) + 1)
            whole.extend(recs)
            raw.records[e] = whole
    day = date.fromisoformat(spec["day"])
    ndjson = Path(spec["ndjson"])
    if spec.get("from_bytes"):
        blobs = {e: (ndjson / f"{e}.ndjson").read_bytes() if (ndjson / f"{e}.ndjson").exists() else b""
                 for e in raw.records}
        for recs in raw.records.values():
            for rec in recs:
                rec.payload = None
    records = sum(len(v) for v in raw.records.values())
    baseline = _rss_mib()
    started = time.perf_counter()
    if spec.get("from_bytes"):
        # The same bytes DuckDB reads, parsed as requests' Response.json() parses a body (stdlib json).
        for e, recs in raw.records.items():
            lines = blobs[e].splitlines()
            assert len(lines) == len(recs), (e, len(lines), len(recs))
            for rec, line in zip(recs, lines):
                rec.payload = json.loads(line)
    landed = _land_day(spec["platform"], day, Path(spec["lake"]), raw, spec["accounts"])
    elapsed = time.perf_counter() - started
    return {"elapsed_s": elapsed, "records": records, "landed": landed, "peak_rss_mib": _rss_mib(),
            "baseline_rss_mib": baseline, **_memory_extras(spec)}


def worker_duckdb(spec: dict) -> dict:
    import duckdb

    src, out = Path(spec["ndjson"]), Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    baseline = _rss_mib()
    records = 0
    started = time.perf_counter()
    for f in sorted(src.glob("*.ndjson")):
        if f.stat().st_size == 0:
            continue
        target = out / f"{f.stem}.parquet"
        con.execute(f"COPY (SELECT * FROM read_json('{f}', format='newline_delimited')) "
                    f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    elapsed = time.perf_counter() - started
    for f in sorted(out.glob("*.parquet")):
        records += con.execute(f"SELECT count(*) FROM read_parquet('{f}')").fetchone()[0]
    return {"elapsed_s": elapsed, "records": records, "peak_rss_mib": _rss_mib(), "baseline_rss_mib": baseline,
            "duckdb_threads": threads}


def worker_phases(spec: dict) -> dict:
    """The Python heap (tracemalloc) through the steps of ``pull_platform_day``, to tell what holds the
    day: what the fetch leaves held (the RawDay and, where the tree has it, the replay recorder's
    answers), then the peak of each later step above it."""
    import tracemalloc

    from ingestion import pull, replay
    from ingestion.http import PlatformHttp
    from ingestion.settings import PlatformSettings

    p, day, lake = spec["platform"], date.fromisoformat(spec["day"]), Path(spec["lake"])
    settings = PlatformSettings(p, spec["base_url"], TOKEN)
    mib = (lambda b: b / 2**20)
    tracemalloc.start()
    recorder = None
    if hasattr(replay, "Recorder"):
        import inspect

        streaming = "lake" in inspect.signature(replay.Recorder).parameters  # answers go to disk as they come
        recorder = (replay.Recorder(lake, p, day, spec["accounts"], secret=settings.token) if streaming
                    else replay.Recorder(secret=settings.token))
    http = PlatformHttp(settings, recorder=recorder) if recorder is not None else PlatformHttp(settings)
    try:
        raw = pull.CONNECTORS[p][0](http).pull_day(spec["accounts"], day)
    finally:
        http.close()
    held, peak = tracemalloc.get_traced_memory()
    out = {"fetch_held_mib": mib(held), "fetch_peak_mib": mib(peak),
           "records": sum(len(v) for v in raw.records.values()), "http_bytes_mib": mib(http.stats.bytes)}
    tracemalloc.reset_peak()
    pull.land_platform_day(p, day, raw, spec["accounts"], lake, http.stats)
    now, peak = tracemalloc.get_traced_memory()
    out["land_peak_mib"] = mib(peak)
    if recorder is not None:
        tracemalloc.reset_peak()
        if hasattr(recorder, "commit"):
            recorder.commit()
        else:
            replay.save(lake, p, day, spec["accounts"], recorder)
        out["replay_save_peak_mib"] = mib(tracemalloc.get_traced_memory()[1])
    return out


WORKERS = {"pull": worker_pull, "land": worker_land, "duckdb": worker_duckdb, "phases": worker_phases}


def _run(cmd: list[str], what: str) -> dict:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(kind: str, spec: dict, server=None) -> dict:
    """One measurement in a fresh process; the server's CPU time (this process's) beside it."""
    cpu, served = _cpu_s(), server.requests_served if server else 0
    if kind == "dlt":
        cmd = [spec.pop("python"), str(DLT_SCRIPT), json.dumps(spec)]
    else:
        cmd = [sys.executable, "-m", "bench.ingestion", "--worker", kind, json.dumps(spec)]
    out = _run(cmd, f"{kind} {spec.get('platform', '')}")
    if server is not None:
        out["server_cpu_s"] = _cpu_s() - cpu
        out["requests"] = server.requests_served - served
    return out


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def _capture(server, platform: str, day: date, accounts: list[str], where: Path) -> dict:
    """Pull the RawDay once (untimed; warms the server up), pickle it, dump its payloads as NDJSON."""
    import pickle

    from ingestion.http import PlatformHttp
    from ingestion.pull import CONNECTORS
    from ingestion.settings import PlatformSettings

    http = PlatformHttp(PlatformSettings(platform, server.base_url(platform), TOKEN))
    try:
        raw = CONNECTORS[platform][0](http).pull_day(accounts, day)
    finally:
        http.close()
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "rawday.pkl", "wb") as fh:
        pickle.dump(raw, fh, protocol=pickle.HIGHEST_PROTOCOL)
    nd = where / "ndjson"
    nd.mkdir(exist_ok=True)
    size = 0
    for entity, recs in raw.records.items():
        data = "".join(json.dumps(r.payload, ensure_ascii=False, separators=(",", ":")) + "\n" for r in recs)
        blob = data.encode("utf-8")
        (nd / f"{entity}.ndjson").write_bytes(blob)
        size += len(blob)
    return {"records": {e: len(v) for e, v in raw.records.items()}, "ndjson_bytes": size,
            "http_bytes": http.stats.bytes, "requests": http.stats.requests}


def _median_figure(runs: list[dict], records: int | None = None) -> dict:
    times = [r["elapsed_s"] for r in runs]
    med = statistics.median(times)
    records = records if records is not None else runs[0]["records"]
    fig = {"records": records, "median_s": med, "records_per_s": records / med if med else None,
           "runs_s": times, "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
           "baseline_rss_mib": statistics.median(r["baseline_rss_mib"] for r in runs)}
    if all("server_cpu_s" in r for r in runs):
        fig["server_cpu_s"] = statistics.median(r["server_cpu_s"] for r in runs)
        fig["requests"] = runs[0]["requests"]
        # What is left of the wall time once the demo server's own CPU time is taken out: the client's side.
        fig["client_side_s"] = max(1e-9, med - fig["server_cpu_s"])
    return fig


def _versions() -> dict:
    return common.versions("pyarrow", "duckdb", "requests", "urllib3", "numpy")


def _machine() -> dict:
    return common.machine()


def _warmable(world):
    """The demo world's memo is bounded (``World._CACHE_ITEMS``) so that a long demo stays flat; a
    medium day of nine platforms overflows it, and a measurement would then pay for regenerating what
    the one before it evicted, or not, depending on the order. Unbounded here, the untimed capture
    warms the server once for every measurement alike."""
    world._CACHE_ITEMS = 10**9
    return world


def run(args: argparse.Namespace) -> dict:
    from ingestion.demo.server import HANDLERS, DemoExportServer
    from ingestion.demo.world import World
    from ingestion.schemas import CONNECTED_PLATFORMS

    day = date.fromisoformat(args.day)
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()] if args.platforms else list(CONNECTED_PLATFORMS)
    unknown = set(platforms) - set(CONNECTED_PLATFORMS)
    if unknown:
        raise SystemExit(f"not connected: {sorted(unknown)}; connected: {', '.join(CONNECTED_PLATFORMS)}")
    dlt_python = Path(args.dlt_python)
    dlt_platforms = [] if args.skip_dlt else [p for p in args.dlt_platforms.split(",") if p.strip()]
    if dlt_platforms and not dlt_python.exists():
        raise SystemExit(f"{dlt_python} is missing: `make bench-ingestion` makes it "
                         f"(or pass --skip-dlt, or --dlt-python PATH)")
    tokens = {p: TOKEN for p in HANDLERS}
    results: dict = {
        "benchmark": "ingestion", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(), "versions": _versions(),
        "config": {"preset": args.preset, "day": args.day, "repeat": args.repeat, "platforms": platforms,
                   "dlt_platforms": dlt_platforms, "dlt_destination": args.dlt_destination,
                   "peak_memory": "VmHWM (peak resident set) of the measuring subprocess, whole process; "
                                  "baseline = its VmHWM after imports",
                   "targets": {"normalise_and_land_vs_duckdb": LAND_TARGET, "pull_vs_dlt": DLT_TARGET}},
    }
    log = (lambda *a: print(*a, file=sys.stderr, flush=True))
    tmp = Path(tempfile.mkdtemp(prefix="kol-bench-"))
    try:
        world = _warmable(World(preset=args.preset))
        accounts = {p: [k.account_id for k in world.kols(p)] for p in platforms}
        with DemoExportServer(world=world, tokens=tokens) as server:
            captured = {}
            for p in platforms:
                log(f"[{args.preset}] capturing {p} (untimed; warms the server up)")
                captured[p] = _capture(server, p, day, accounts[p], tmp / "capture" / p)
            runs: dict = {k: {p: [] for p in platforms} for k in ("pull", "land", "land_bytes", "duckdb")}
            runs["dlt"] = {p: [] for p in dlt_platforms}
            for r in range(args.repeat):
                for p in platforms:
                    log(f"[{args.preset}] repeat {r + 1}/{args.repeat}: {p}")
                    cap = tmp / "capture" / p
                    base = {"platform": p, "day": args.day, "accounts": accounts[p]}
                    def ours() -> None:
                        runs["pull"][p].append(measure("pull", base | {
                            "base_url": server.base_url(p), "lake": str(tmp / f"lake-pull-{p}-{r}")}, server))

                    def theirs() -> None:
                        work = tmp / f"dlt-{p}-{r}"
                        work.mkdir()
                        runs["dlt"][p].append(measure("dlt", {
                            "python": str(dlt_python), "platform": p, "base_url": server.base_url(p), "token": TOKEN,
                            "accounts": accounts[p], "day": args.day, "workdir": str(work),
                            "destination": args.dlt_destination}, server))
                        shutil.rmtree(work, ignore_errors=True)

                    # dlt right beside our pull of the same platform, against the same warm server; who goes
                    # first alternates between repeats.
                    order = (ours, theirs) if r % 2 == 0 else (theirs, ours)
                    for step in order:
                        if step is ours or p in dlt_platforms:
                            step()
                    land_spec = base | {"rawday": str(cap / "rawday.pkl"), "ndjson": str(cap / "ndjson")}
                    runs["land"][p].append(measure("land", land_spec | {"lake": str(tmp / f"lake-land-{p}-{r}")}))
                    runs["land_bytes"][p].append(measure("land", land_spec | {
                        "lake": str(tmp / f"lake-bytes-{p}-{r}"), "from_bytes": True}))
                    runs["duckdb"][p].append(measure("duckdb", {"platform": p, "ndjson": str(cap / "ndjson"),
                                                                "out": str(tmp / f"duckdb-{p}-{r}")}))
                    for d in tmp.glob(f"*-{p}-{r}"):
                        shutil.rmtree(d, ignore_errors=True)
        results["captured"] = captured
        results["runs"] = runs
        results["normalise_and_land"] = _land_figures(platforms, runs)
        results["pull_end_to_end"] = {p: _median_figure(runs["pull"][p]) for p in platforms}
        results["pull_vs_dlt"] = _dlt_figures(dlt_platforms, runs, captured)
        if not args.skip_memory:
            results["memory"] = _memory_check(args, day, tokens, tmp, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def _land_figures(platforms: list[str], runs: dict) -> dict:
    out = {}
    for p in platforms:
        ours, from_bytes, duck = (_median_figure(runs[k][p]) for k in ("land", "land_bytes", "duckdb"))
        out[p] = {"ours": ours, "ours_from_bytes": from_bytes, "duckdb": duck,
                  "duckdb_threads": runs["duckdb"][p][0].get("duckdb_threads"),
                  "ratio": ours["records_per_s"] / duck["records_per_s"],
                  "ratio_from_bytes": from_bytes["records_per_s"] / duck["records_per_s"]}
        out[p]["meets_target"] = out[p]["ratio"] >= LAND_TARGET
    if platforms:
        # All platforms together: every record over the sum of the medians.
        tot = {}
        for k, name in (("land", "ours"), ("land_bytes", "ours_from_bytes"), ("duckdb", "duckdb")):
            recs = sum(out[p][name]["records"] for p in platforms)
            secs = sum(out[p][name]["median_s"] for p in platforms)
            tot[name] = {"records": recs, "median_s": secs, "records_per_s": recs / secs,
                         "peak_rss_mib": max(out[p][name]["peak_rss_mib"] for p in platforms)}
        tot["ratio"] = tot["ours"]["records_per_s"] / tot["duckdb"]["records_per_s"]
        tot["ratio_from_bytes"] = tot["ours_from_bytes"]["records_per_s"] / tot["duckdb"]["records_per_s"]
        tot["meets_target"] = tot["ratio"] >= LAND_TARGET
        out["all"] = tot
    return out


def _dlt_figures(dlt_platforms: list[str], runs: dict, captured: dict) -> dict:
    out = {}
    for p in dlt_platforms:
        items = sum(captured[p]["records"][e] for e in ITEM_ENTITIES)
        dlt_rows = runs["dlt"][p][0]["rows"]
        dlt_items = {entity: dlt_rows.get(table, 0) for table, entity in DLT_TABLES[p].items()}
        ours = _median_figure(runs["pull"][p], records=items)
        theirs = _median_figure(runs["dlt"][p], records=items)
        fig = {"items": items, "ours": ours, "dlt": theirs, "dlt_rows": dlt_rows, "dlt_items_by_entity": dlt_items,
               "same_items": dlt_items == {e: captured[p]["records"][e] for e in ITEM_ENTITIES},
               "dlt_version": runs["dlt"][p][0].get("dlt_version"),
               "ratio": ours["records_per_s"] / theirs["records_per_s"],
               "ratio_client_side": theirs["client_side_s"] / ours["client_side_s"],
               # A client that waits for each answer cannot beat the server's own time for the day: the
               # best ratio any such client could reach against this demo server.
               "ratio_ceiling": theirs["median_s"] / ours["server_cpu_s"] if ours.get("server_cpu_s") else None}
        fig["meets_target"] = fig["ratio"] >= DLT_TARGET
        out[p] = fig
    return out


def _memory_check(args, day: date, tokens: dict, tmp: Path, log) -> dict:
    """Peak memory of the end-to-end pull of one day per preset: does it grow with the day's size?"""
    from ingestion.demo.server import DemoExportServer
    from ingestion.demo.world import World

    presets = [s for s in args.memory_presets.split(",") if s]
    platforms = [s for s in args.memory_platforms.split(",") if s]
    rows, phases = [], {}
    for preset in presets:
        world = _warmable(World(preset=preset))
        with DemoExportServer(world=world, tokens=tokens) as server:
            for p in platforms:
                accounts = [k.account_id for k in world.kols(p)]
                spec = {"platform": p, "day": args.day, "accounts": accounts, "base_url": server.base_url(p)}
                log(f"[memory] {preset} {p}")
                plain = measure("pull", spec | {"lake": str(tmp / f"mem-{preset}-{p}")}, server)
                traced = measure("pull", spec | {"lake": str(tmp / f"mem-t-{preset}-{p}"), "tracemalloc": True}, server)
                if preset == args.preset:
                    try:
                        phases[p] = measure("phases", spec | {"lake": str(tmp / f"mem-p-{preset}-{p}")})
                    except RuntimeError as exc:  # the pipeline's steps moved: the breakdown is a bonus
                        log(f"[memory] phases of {p} not measured: {exc}")
                rows.append({"preset": preset, "platform": p, "accounts": len(accounts), "records": plain["records"],
                             "peak_rss_mib": plain["peak_rss_mib"], "baseline_rss_mib": plain["baseline_rss_mib"],
                             "day_rss_mib": plain["peak_rss_mib"] - plain["baseline_rss_mib"],
                             "python_heap_peak_mib": traced["python_heap_peak_mib"],
                             "arrow_pool_peak_mib": plain["arrow_pool_peak_mib"]})
    verdict = {}
    for p in platforms:
        mine = sorted((r for r in rows if r["platform"] == p), key=lambda r: r["records"])
        if len(mine) < 2:
            continue
        lo, hi = mine[0], mine[-1]
        d_rec = hi["records"] - lo["records"]
        d_heap = hi["python_heap_peak_mib"] - lo["python_heap_peak_mib"]
        d_rss = hi["peak_rss_mib"] - lo["peak_rss_mib"]
        verdict[p] = {"records": [lo["records"], hi["records"]], "records_growth": hi["records"] / lo["records"],
                      "python_heap_growth": hi["python_heap_peak_mib"] / lo["python_heap_peak_mib"],
                      "rss_growth_mib": d_rss, "heap_growth_mib": d_heap,
                      "heap_kib_per_record": d_heap * 1024 / d_rec if d_rec else None,
                      # Grows: the heap's peak follows the records (more than 10 % and 2 MiB up when the day grows).
                      "grows_with_day": d_rec > 0 and d_heap > max(2.0, 0.1 * lo["python_heap_peak_mib"])}
    return {"presets": presets, "platforms": platforms, "rows": rows, "verdict": verdict, "phases": phases,
            "phases_preset": args.preset,
            "grows_with_day": any(v["grows_with_day"] for v in verdict.values())}


# ---------------------------------------------------------------------------------------------
# Profile: where normalise-and-land spends its time, for one platform
# ---------------------------------------------------------------------------------------------

def profile(args: argparse.Namespace) -> str:
    """cProfile of one platform-day: normalise-and-land from the captured RawDay, then the whole pull
    (``pull_platform_day``) against the in-process server, warm; cProfile sees only the calling
    thread, so the server's threads are left out of the second profile (their GIL time is not)."""
    import cProfile
    import io
    import pickle
    import pstats

    from ingestion.demo.server import HANDLERS, DemoExportServer
    from ingestion.demo.world import World
    from ingestion.pull import pull_platform_day
    from ingestion.settings import PlatformSettings

    p, day = args.profile, date.fromisoformat(args.day)
    world = _warmable(World(preset=args.preset))
    accounts = [k.account_id for k in world.kols(p)]
    tmp = Path(tempfile.mkdtemp(prefix="kol-bench-profile-"))
    buf = io.StringIO()

    def report(title: str, prof: cProfile.Profile) -> None:
        buf.write(title + "\n\n")
        for key in ("tottime", "cumulative"):
            buf.write(f"--- top 35 by {key} ---\n")
            pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(35)

    try:
        with DemoExportServer(world=world, tokens={q: TOKEN for q in HANDLERS}) as server:
            _capture(server, p, day, accounts, tmp / "capture")  # also warms the server up
            with open(tmp / "capture" / "rawday.pkl", "rb") as fh:
                raw = pickle.load(fh)
            records = sum(len(v) for v in raw.records.values())
            prof = cProfile.Profile()
            started = time.perf_counter()
            prof.enable()
            _land_day(p, day, tmp / "lake", raw, accounts)
            prof.disable()
            elapsed = time.perf_counter() - started
            report(f"normalise and land, {p}, {args.preset} {args.day}: {records} records in {elapsed:.3f} s under "
                   f"cProfile ({records / elapsed:,.0f} records/s; cProfile slows Python-heavy code)", prof)
            settings = PlatformSettings(p, server.base_url(p), TOKEN)
            prof = cProfile.Profile()
            started = time.perf_counter()
            prof.enable()
            reports = pull_platform_day(p, day, tmp / "lake-pull", settings, accounts)
            prof.disable()
            elapsed = time.perf_counter() - started
            fetched = sum(r.fetched for r in reports)
            report(f"\n\npull end to end (client thread only), {p}, {args.preset} {args.day}: {fetched} records, "
                   f"{server.requests_served} requests served so far, {elapsed:.3f} s under cProfile", prof)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def _n(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _loads(m: dict) -> str:
    before, after = m.get("load_average_before"), m.get("load_average_after")
    fmt = (lambda la: ", ".join(f"{x:.1f}" for x in la))
    return (f"{fmt(before)} before, {fmt(after)} after (above {m['cores']} means other work shared the cores)"
            if before and after else "not recorded")


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(results: dict) -> str:
    m, c, v = results["machine"], results["config"], results["versions"]
    lines = [
        "## Ingestion",
        "",
        f"`make bench-ingestion` (`bench/ingestion.py`): one day ({c['day']}) of the `{c['preset']}` preset, "
        f"median of {c['repeat']} runs per figure, each beside its reference measured in the same run. "
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m.get('cpu') or 'unknown CPU'}, Python {m['python']}; "
        f"pyarrow {v.get('pyarrow')}, DuckDB {v.get('duckdb')}, requests {v.get('requests')}; "
        f"commit {v.get('kol-warehouse commit')} ({v.get('kol-warehouse tree')} tree); {results['generated_at']}, "
        f"{results.get('wall_s', 0):.0f} s; load average (1, 5, 15 min) {_loads(m)}.",
        "",
        "Every measurement runs in a subprocess of its own; *peak* is that process's peak resident set "
        "(`VmHWM`: interpreter, libraries and the work), *base* the same mark after imports. The demo "
        "export API runs in the benchmark's own process on loopback, warmed up by an untimed pull first; its CPU "
        "time during a pull is reported as *server CPU*.",
        "",
        "### Normalise and land, beside DuckDB `read_json` (the machine's limit)",
        "",
        "From a platform-day's raw records (the connector's `RawDay`, captured once) to landed Parquet: "
        "`normalize` and `drop_already_landed` of every entity, then `land`, as `ingestion/pull.py` does. "
        "DuckDB turns the same payloads, one JSON object a line, into one zstd Parquet file per entity "
        f"(`COPY (SELECT * FROM read_json(..., format='newline_delimited')) TO ...`, "
        f"{results['normalise_and_land'].get(c['platforms'][0], {}).get('duckdb_threads', '?')} threads). "
        "DuckDB parses bytes while the pipeline starts from parsed dicts, so *from bytes* adds `json.loads` of "
        f"the same NDJSON. Target: at least {LAND_TARGET:.2f} of DuckDB's records/s.",
        "",
        "| platform | records | ours s | ours rec/s | from bytes rec/s | DuckDB s | DuckDB rec/s | ratio | "
        "ratio from bytes | target met | peak ours / DuckDB MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    land = results["normalise_and_land"]
    for p in [*c["platforms"], "all"]:
        f = land.get(p)
        if not f:
            continue
        label = "**all**" if p == "all" else p
        lines.append(
            f"| {label} | {_n(f['ours']['records'])} | {_n(f['ours']['median_s'], 3)} | {_n(f['ours']['records_per_s'])} | "
            f"{_n(f['ours_from_bytes']['records_per_s'])} | {_n(f['duckdb']['median_s'], 3)} | "
            f"{_n(f['duckdb']['records_per_s'])} | {f['ratio']:.2f} | {f['ratio_from_bytes']:.2f} | "
            f"{_mark(f['meets_target'])} | {_n(f['ours']['peak_rss_mib'])} / {_n(f['duckdb']['peak_rss_mib'])} |")
    lines += [
        "",
        "### Pull end to end over HTTP",
        "",
        "`pull_platform_day` from the demo export API into a fresh lake; records are the slices' `fetched`, "
        "summed over entities (posts are counted again in post_metrics, as the slices count them).",
        "",
        "| platform | records | requests | s | rec/s | server CPU s | peak MiB | base MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in c["platforms"]:
        f = results["pull_end_to_end"][p]
        lines.append(f"| {p} | {_n(f['records'])} | {_n(f.get('requests'))} | {_n(f['median_s'], 2)} | "
                     f"{_n(f['records_per_s'])} | {_n(f.get('server_cpu_s'), 2)} | {_n(f['peak_rss_mib'])} | "
                     f"{_n(f['baseline_rss_mib'])} |")
    if results.get("pull_vs_dlt"):
        lines += [
            "",
            "### Pull end to end, beside dlt's REST API source",
            "",
            f"dlt {next(iter(results['pull_vs_dlt'].values()))['dlt_version']} (`bench/dlt_rest_api.py`, its own "
            f"venv `bench/.venv-dlt`), destination `{c['dlt_destination']}`, pulling the same endpoints, accounts, "
            "windows and page sizes; both are counted in the same API items (profiles, media, comments with "
            "replies, audience; dlt's loaded rows were checked to be the same items). *Client side* takes the "
            f"demo server's CPU time out of both wall times. Target: at least {DLT_TARGET:.0f} times dlt.",
            "",
            "*Ceiling*: dlt's time over the server's CPU time during our pull, the best ratio a client that waits "
            "for each answer could reach against this server.",
            "",
            "| platform | items | requests ours / dlt | ours s | ours rec/s | dlt s | dlt rec/s | ratio | "
            "client-side ratio | ceiling | target met | same items | peak ours / dlt MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for p, f in results["pull_vs_dlt"].items():
            lines.append(
                f"| {p} | {_n(f['items'])} | {_n(f['ours'].get('requests'))} / {_n(f['dlt'].get('requests'))} | "
                f"{_n(f['ours']['median_s'], 2)} | {_n(f['ours']['records_per_s'])} | {_n(f['dlt']['median_s'], 2)} | "
                f"{_n(f['dlt']['records_per_s'])} | {f['ratio']:.2f} | {f['ratio_client_side']:.2f} | "
                f"{_n(f.get('ratio_ceiling'), 1)} | "
                f"{_mark(f['meets_target'])} | {'yes' if f['same_items'] else '**no**'} | "
                f"{_n(f['ours']['peak_rss_mib'])} / {_n(f['dlt']['peak_rss_mib'])} |")
    mem = results.get("memory")
    if mem:
        lines += [
            "",
            "### Peak memory against the size of the day",
            "",
            "The end-to-end pull of one day of each preset (one run each; the Python heap's peak from a second "
            "run under `tracemalloc`, Arrow's from its memory pool). *Day* is peak minus base.",
            "",
            "| preset | platform | accounts | records | peak MiB | base MiB | day MiB | Python heap peak MiB | "
            "Arrow pool peak MiB |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in mem["rows"]:
            lines.append(f"| {r['preset']} | {r['platform']} | {r['accounts']} | {_n(r['records'])} | "
                         f"{_n(r['peak_rss_mib'])} | {_n(r['baseline_rss_mib'])} | {_n(r['day_rss_mib'])} | "
                         f"{_n(r['python_heap_peak_mib'], 1)} | {_n(r['arrow_pool_peak_mib'], 1)} |")
        grows = [p for p, vv in mem["verdict"].items() if vv["grows_with_day"]]
        per = ", ".join(f"{p} {vv['heap_kib_per_record']:.1f} KiB" for p, vv in mem["verdict"].items()
                        if vv["heap_kib_per_record"] is not None)
        lines += ["", (f"**Peak memory grows with the size of the day** ({', '.join(grows)}): the Python heap's "
                       f"peak rises with the day's records (per extra record: {per})."
                       if grows else
                       f"Peak memory does not grow with the size of the day (per extra record: {per})."
                       if mem["verdict"] else "One size of day measured: no verdict on growth.")]
        if mem.get("phases"):
            lines += [
                "",
                f"What holds the day (`{mem.get('phases_preset')}`, Python heap by `tracemalloc` through the steps "
                "of `pull_platform_day`): *held after fetch* is what the connector's `RawDay` and the replay "
                "recorder's answers keep; each later column is that step's peak.",
                "",
                "| platform | records | HTTP MiB | held after fetch MiB | peak normalise + land MiB | "
                "peak replay.save MiB |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for p, ph in mem["phases"].items():
                lines.append(f"| {p} | {_n(ph['records'])} | {_n(ph['http_bytes_mib'], 1)} | "
                             f"{_n(ph['fetch_held_mib'], 1)} | {_n(ph['land_peak_mib'], 1)} | "
                             f"{_n(ph.get('replay_save_peak_mib'), 1)} |")
    verdicts = [f"normalise and land: {land['all']['ratio']:.2f} of DuckDB (target {LAND_TARGET:.2f}: "
                f"{'met' if land['all']['meets_target'] else 'not met'})"] if "all" in land else []
    for p, f in (results.get("pull_vs_dlt") or {}).items():
        verdicts.append(f"pull end to end, {p}: {f['ratio']:.2f} times dlt (target {DLT_TARGET:.0f}: "
                        f"{'met' if f['meets_target'] else 'not met'})")
    lines += ["", "Summary: " + "; ".join(verdicts) + ".", ""]
    return "\n".join(lines)


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace the "## Ingestion" section of docs/benchmarks.md (create the file if need be), keep the rest."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        text = ("# Benchmarks\n\nMeasured by `make bench` (each benchmark also has a target of its own); "
                "figures are regenerated by the benchmarks and are only comparable within one run.\n")
    start = text.find("\n## Ingestion\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        spec = json.loads(argv[2])
        print(json.dumps(WORKERS[argv[1]](spec)))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="medium", help="demo world preset (default: medium)")
    parser.add_argument("--day", default="2026-11-20", help="the platform-day to pull (a finished day)")
    parser.add_argument("--platforms", default="", help="comma-separated; default: every connected platform")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--dlt-platforms", default="instagram,weibo",
                        help="platforms dlt pulls as the reference (instagram, weibo; default both)")
    parser.add_argument("--dlt-destination", choices=("filesystem", "duckdb"), default="filesystem",
                        help="dlt's destination: filesystem (Parquet, like the lake; default) or duckdb")
    parser.add_argument("--dlt-python", default=str(DLT_PYTHON), help="python of the venv that has dlt")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--memory-presets", default="small,medium,large")
    parser.add_argument("--memory-platforms", default="weibo,instagram")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--results", default=str(RESULTS), help=f"JSON results (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--docs", default=str(DOCS), help=f"Markdown to update (default {DOCS.relative_to(ROOT)})")
    parser.add_argument("--no-docs", action="store_true", help="do not touch the Markdown")
    parser.add_argument("--render-only", action="store_true",
                        help="re-render the Markdown from the JSON results without measuring anything")
    parser.add_argument("--profile", metavar="PLATFORM",
                        help="instead of the benchmark: cProfile normalise-and-land of one platform-day "
                             "(written to bench/results/ingestion_profile_<platform>.txt)")
    args = parser.parse_args(argv)
    if args.profile:
        text = profile(args)
        out = RESULTS.parent / f"ingestion_profile_{args.profile}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(text[:6000])
        print(f"written to {out}")
        return
    if args.render_only:
        results = json.loads(Path(args.results).read_text(encoding="utf-8"))
        section = render(results)
        if not args.no_docs:
            write_docs(section, Path(args.docs))
        print(section)
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    started = time.perf_counter()
    results = run(args)
    results["wall_s"] = time.perf_counter() - started
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    section = render(results)
    if not args.no_docs:
        write_docs(section, Path(args.docs))
    print(section)
    print(f"results: {out}" + ("" if args.no_docs else f"; docs: {args.docs}") + f"; {results['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
