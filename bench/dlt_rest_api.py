"""The dlt reference of the ingestion benchmark: dlt's REST API source pulling one
platform-day from the demo export API, configured as dlt's users configure it.

Runs in its own virtualenv (``bench/.venv-dlt``, made by ``make bench-ingestion``)
because installing dlt into the project's venv changes the system under test:
dlt brings ``simplejson``, which ``requests`` then prefers over the standard
``json`` module for every ``Response.json()`` of the project's connectors.

It imports nothing from the project; ``bench/ingestion.py`` runs it in a
subprocess and reads one JSON line from its stdout::

    bench/.venv-dlt/bin/python bench/dlt_rest_api.py '{"platform": "instagram", "base_url": "...",
        "token": "...", "accounts": [...], "day": "2026-11-20", "workdir": "/tmp/x", "destination": "filesystem"}'

The configuration is the closest faithful one to the project's connectors
(``ingestion/platforms/<platform>/client.py``): the same endpoints, parameters, page
sizes and stop rules, the same tracked accounts, the same windows (posts of the
last ``TRACKING_DAYS``, comments of the last ``LOOKBACK_DAYS``):

- the roster is a plain ``dlt.resource`` (not loaded) that the REST resources
  ``resolve`` their account ids from; comments ``resolve`` post ids from the
  timeline, which is how the REST API source expresses dependent endpoints;
- paging uses dlt's built-in paginators (Instagram ``paging.next`` links; Weibo
  ``next_cursor`` into ``max_id``/``cursor``), each subclassed only to add the
  connectors' stop rule "stop once a page reaches before the window": a
  dependent resource cannot stop paging with ``incremental(row_order="desc")``
  (dlt closes only top-level resources early), and paging a timeline back to the
  account's first post would fetch months the connector never asks for;
- ``processing_steps`` filter posts to the tracking window and comments to the
  lookback window; Instagram replies, nested under their top-level comment, are
  flattened by a ``yield_map`` into rows of the comments table, as the connector
  makes them records of their own.

Everything else is dlt's defaults: one pipeline, ``pipeline.run`` (extract,
normalise, load), a fresh ``pipelines_dir`` per run (a full load, as the project
lands into a fresh lake), the ``filesystem`` destination writing Parquet (the
project lands Parquet) or ``duckdb``.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

# No telemetry, no progress bars, quiet logs: this machine reaches no network but loopback.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")

import dlt  # noqa: E402
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, JSONResponseCursorPaginator  # noqa: E402
from dlt.sources.rest_api import rest_api_resources  # noqa: E402

TRACKING_DAYS = 7  # ingestion/platforms/base.py
LOOKBACK_DAYS = 3


def _rss_mib() -> float:
    """This process's peak resident set, MiB: ``VmHWM``, the high-water mark of its own address space.
    Not ``ru_maxrss``: Linux carries that across fork and exec, so a child started by a big parent
    (the benchmark holds the demo world) would report the parent's peak as its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _windows(day: date) -> tuple[datetime, datetime, datetime]:
    start_of_day = datetime.combine(day, dtime(0), tzinfo=timezone.utc)
    end = start_of_day + timedelta(days=1)
    return (start_of_day - timedelta(days=TRACKING_DAYS - 1), start_of_day - timedelta(days=LOOKBACK_DAYS - 1), end)


# --- Instagram Graph API -------------------------------------------------------------------

def _graph_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


class GraphStopAt(JSONLinkPaginator):
    """``paging.next`` links, newest first; stops once a page reaches before ``oldest``."""

    def __init__(self, oldest: datetime, time_field: str = "timestamp"):
        super().__init__(next_url_path="paging.next")
        self.oldest, self.time_field = oldest, time_field

    def update_state(self, response, data=None) -> None:
        super().update_state(response, data)
        times = [_graph_time(i[self.time_field]) for i in data or [] if i.get(self.time_field)]
        if not data or (times and min(times) < self.oldest):
            self._has_next_page = False


def instagram_config(base_url: str, token: str, accounts: list[str], day: date) -> dict:
    window_start, lookback_start, end = _windows(day)
    export = {"export_date": day.isoformat()}

    @dlt.resource(name="kols", selected=False)
    def kols():
        yield [{"id": a} for a in accounts]

    def comment_rows(top: dict):
        # Replies hang under their top-level comment: each reply in the window is a row of its own.
        if start_ok(top):
            yield {k: v for k, v in top.items() if k != "replies"}
        for reply in (top.get("replies") or {}).get("data") or []:
            if start_ok(reply):
                yield reply | {"parent_id": top["id"], "_media_id": top.get("_media_id")}

    def start_ok(item: dict) -> bool:
        return lookback_start <= _graph_time(item["timestamp"]) < end

    return {
        "client": {"base_url": f"{base_url}/v21.0/", "auth": {"type": "bearer", "token": token}},
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            kols(),
            {"name": "profiles", "endpoint": {
                "path": "{resources.kols.id}", "paginator": "single_page", "data_selector": "$",
                "params": {"fields": "id,username,followers_count,follows_count,media_count", **export}}},
            {"name": "media", "endpoint": {
                "path": "{resources.kols.id}/media", "data_selector": "data",
                "paginator": GraphStopAt(window_start),
                "params": {"fields": "id,caption,media_type,media_product_type,like_count,comments_count,"
                                     "permalink,timestamp", "limit": 50, **export}},
             "include_from_parent": ["id"],
             "processing_steps": [{"filter": lambda m: window_start <= _graph_time(m["timestamp"]) < end}]},
            {"name": "comments", "endpoint": {
                "path": "{resources.media.id}/comments", "data_selector": "data", "paginator": {"type": "json_link",
                                                                                     "next_url_path": "paging.next"},
                "params": {"fields": "id,text,timestamp,username,from,like_count,"
                                     "replies{{id,text,timestamp,username,from}}", "limit": 50, **export}},
             "include_from_parent": ["id"],
             "processing_steps": [{"yield_map": comment_rows}]},
            {"name": "audience", "endpoint": {
                "path": "{resources.kols.id}/audience_sample", "data_selector": "data",
                "paginator": {"type": "json_link", "next_url_path": "paging.next"},
                "params": {"limit": 100, **export}},
             "include_from_parent": ["id"]},
        ],
    }


# --- Weibo open API ------------------------------------------------------------------------

def _weibo_time(text: str) -> datetime:
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")


class WeiboStopAt(JSONResponseCursorPaginator):
    """``next_cursor`` into ``max_id`` (0 on the last page), newest first; stops once a page
    reaches before ``oldest``."""

    def __init__(self, oldest: datetime):
        super().__init__(cursor_path="next_cursor", cursor_param="max_id")
        self.oldest = oldest

    def update_state(self, response, data=None) -> None:
        super().update_state(response, data)
        times = [_weibo_time(i["created_at"]) for i in data or [] if i.get("created_at")]
        if not data or (times and min(times) < self.oldest):
            self._has_next_page = False


def weibo_config(base_url: str, token: str, accounts: list[str], day: date) -> dict:
    window_start, lookback_start, end = _windows(day)
    export = {"export_date": day.isoformat()}

    @dlt.resource(name="kols", selected=False)
    def kols():
        yield [{"uid": a} for a in accounts]

    uid = "{resources.kols.uid}"
    return {
        # Weibo takes the token in an "OAuth2 <token>" header, as the connector sends it.
        "client": {"base_url": f"{base_url}/2/", "headers": {"Authorization": f"OAuth2 {token}"}},
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            kols(),
            {"name": "profiles", "endpoint": {"path": "users/show.json", "paginator": "single_page",
                                              "data_selector": "$", "params": {"uid": uid, **export}}},
            {"name": "statuses", "endpoint": {
                "path": "statuses/user_timeline.json", "data_selector": "statuses",
                "paginator": WeiboStopAt(window_start), "params": {"uid": uid, "count": 100, **export}},
             "processing_steps": [{"filter": lambda s: window_start <= _weibo_time(s["created_at"]) < end}]},
            {"name": "comments", "endpoint": {
                "path": "comments/show.json", "data_selector": "comments", "paginator": WeiboStopAt(lookback_start),
                "params": {"id": "{resources.statuses.idstr}", "count": 100,
                           **export}},
             "processing_steps": [{"filter": lambda c: lookback_start <= _weibo_time(c["created_at"]) < end}]},
            {"name": "followers", "endpoint": {
                "path": "friendships/followers.json", "data_selector": "users",
                "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
                "params": {"uid": uid, "count": 200, "cursor": 0, **export}},
             "include_from_parent": ["uid"]},
        ],
    }


CONFIGS = {"instagram": instagram_config, "weibo": weibo_config}


def pull(args: dict, workdir: Path) -> tuple[float, dict]:
    """One full load of the platform-day into ``workdir``: (seconds, rows per table)."""
    day = date.fromisoformat(args["day"])
    config = CONFIGS[args["platform"]](args["base_url"], args["token"], args["accounts"], day)
    if args.get("destination", "filesystem") == "duckdb":
        destination = dlt.destinations.duckdb(credentials=str(workdir / "dlt.duckdb"))
        loader_file_format = None
    else:
        destination = dlt.destinations.filesystem(bucket_url=(workdir / "lake").as_uri())
        loader_file_format = "parquet"
    started = time.perf_counter()
    pipeline = dlt.pipeline(pipeline_name=f"bench_{args['platform']}", destination=destination,
                            dataset_name=args["platform"], pipelines_dir=str(workdir / "pipelines"))
    info = pipeline.run(rest_api_resources(config), loader_file_format=loader_file_format)
    elapsed = time.perf_counter() - started
    info.raise_on_failed_jobs()
    return elapsed, dict(pipeline.last_trace.last_normalize_info.row_counts)


def main() -> None:
    args = json.loads(sys.argv[1])
    workdir = Path(args["workdir"])
    baseline = _rss_mib()
    warmup_s = None
    if args.get("warmup"):
        # dlt imports much of itself (destinations, writers, pyarrow) on first use: an untimed first
        # load leaves the timed one dlt's steady state, as the project's own worker gets.
        warmup_s, _ = pull(args, workdir / "warmup")
    elapsed, rows = pull(args, workdir / "timed")
    print(json.dumps({"elapsed_s": elapsed, "rows": rows, "peak_rss_mib": _rss_mib(), "baseline_rss_mib": baseline,
                      "warmup_s": warmup_s, "dlt_version": dlt.__version__}))


if __name__ == "__main__":
    main()
