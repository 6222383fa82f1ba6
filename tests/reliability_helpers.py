"""Helpers of tests/test_reliability_faults.py: run the pulls as an operator would against a
(faulty) demo export API, and compare what the API served (its own ledger) with the lake."""
from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.faults import FaultConfig, _identity
from ingestion.demo.server import DemoExportServer, ServedItem
from ingestion.platforms.base import day_bounds, lookback_window_start, tracking_window_start
from ingestion.privacy import pseudonymise
from ingestion.pull import DaysOutcome, pull_days
from ingestion.schemas import ENTITIES

ROOT = Path(__file__).resolve().parents[1]
EVENT_ENTITIES = ("posts", "comments")  # landed once, in whichever slice saw them first (lookback)
ID_COLUMN = {("weibo", "profiles"): "user_id"}  # the served item's id, in the lake; "id" elsewhere


@contextmanager
def serving(faults: FaultConfig | None, platforms, tokens):
    """A demo export API with a ledger, the connectors' base URLs pointed at it meanwhile."""
    with DemoExportServer(tokens=tokens, faults=faults, ledger=True) as server:
        saved = {p: os.environ.get(f"KOL_{p.upper()}_BASE_URL") for p in platforms}
        try:
            for p in platforms:
                os.environ[f"KOL_{p.upper()}_BASE_URL"] = server.base_url(p)
            yield server
        finally:
            for p, url in saved.items():
                if url is None:
                    os.environ.pop(f"KOL_{p.upper()}_BASE_URL", None)
                else:
                    os.environ[f"KOL_{p.upper()}_BASE_URL"] = url


def pull_window(lake: Path, platforms, days: list[date]) -> dict[str, DaysOutcome]:
    """What the nightly job does: per platform, each day in order (pull_days stops a platform's
    range at an auth or quota error, which the following days would meet as well)."""
    return {p: pull_days(p, sorted(days), lake=lake) for p in platforms}


# --------------------------------------------------------------------------- served vs landed

def _entity_of(item: ServedItem) -> str:
    path = item.path
    if item.platform == "weibo":
        return {"/2/users/show.json": "profiles", "/2/statuses/user_timeline.json": "posts",
                "/2/comments/show.json": "comments", "/2/friendships/followers.json": "audience"}[path]
    if path.endswith("/media"):
        return "posts"
    if path.endswith("/comments"):
        return "comments"
    if path.endswith("/audience_sample"):
        return "audience"
    return "profiles"


def expected_records(served: list[ServedItem]) -> set[tuple[str, str, str | None, str]]:
    """The records the connectors must keep of what was served: (platform, entity, day, id),
    day None for event entities (a post or comment lands once, in any slice). The connectors'
    windows are applied as they document them: a post gets a metrics snapshot on day D while it
    is inside the tracking window; posts and comments land while inside the lookback window;
    an item without a readable time is always passed on."""
    out = set()
    for s in served:
        day = date.fromisoformat(s.export_date)
        _, end = day_bounds(day)
        t = s.created
        entity = _entity_of(s)
        if entity in ("profiles", "audience"):
            out.add((s.platform, entity, s.export_date, s.id))
        elif entity == "posts":
            if t is None or tracking_window_start(day) <= t < end:
                out.add((s.platform, "post_metrics", s.export_date, s.id))
                if t is None or t >= lookback_window_start(day):
                    out.add((s.platform, "posts", None, s.id))
        elif t is None or lookback_window_start(day) <= t < end:
            out.add((s.platform, "comments", None, s.id))
    return out


@dataclass
class LakeIndex:
    """Ids in the lake per (platform, entity, day), landed and quarantined, and the manifests."""

    landed: dict[tuple, set[str]] = field(default_factory=dict)
    quarantined: dict[tuple, set[str]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    manifests: list[dict] = field(default_factory=list)

    def totals(self) -> Counter:
        c = Counter()
        for m in self.manifests:
            for k in ("fetched", "landed", "quarantined", "duplicates"):
                c[k] += m[k]
        return c


def index_lake(lake: Path) -> LakeIndex:
    idx = LakeIndex()
    for manifest in sorted((lake / "raw").rglob("_manifest.json")):
        m = json.loads(manifest.read_text())
        idx.manifests.append(m)
        platform, entity, day = m["platform"], m["entity"], m["day"]
        column = ID_COLUMN.get((platform, entity), "id")
        idx.landed[(platform, entity, day)] = set(map(str, pq.read_table(manifest.parent / "data.parquet",
                                                                          columns=[column]).column(column).to_pylist()))
        qfile = lake / "quarantine" / platform / entity / f"dt={day}" / "records.jsonl"
        lines = qfile.read_text(encoding="utf-8").splitlines() if qfile.exists() else []
        ids = set()
        for line in lines:
            q = json.loads(line)
            idx.reasons.append(q.get("reason") or "")
            if isinstance(q.get("payload"), dict):
                ids.add(_identity(q["payload"]).partition("=")[2])
        idx.quarantined[(platform, entity, day)] = ids
    return idx


def lost_records(served: list[ServedItem], lake: Path, exclude_days: set[tuple[str, str]] = frozenset()
                 ) -> tuple[set, set]:
    """(expected, lost): the records the API served that the connectors keep, and those of them
    neither landed nor quarantined anywhere they belong. A quarantined follower's or commenter's
    payload is pseudonymised before it is written, so an id also counts as found by its pseudonym.
    ``exclude_days``: (platform, day) pairs whose pull failed (nothing of a failed pull lands:
    what they served is checked after the re-run)."""
    idx = index_lake(lake)
    expected = expected_records([s for s in served if (s.platform, s.export_date) not in exclude_days])
    found_in: dict[tuple, set[str]] = {}
    for (platform, entity, day), ids in [*idx.landed.items(), *idx.quarantined.items()]:
        found_in.setdefault((platform, entity, None), set()).update(ids)
        found_in.setdefault((platform, entity, day), set()).update(ids)
    lost = set()
    for platform, entity, day, item_id in expected:
        found = found_in.get((platform, entity, day), set())
        if item_id not in found and pseudonymise(item_id, platform) not in found:
            lost.add((platform, entity, day, item_id))
    return expected, lost


def unbalanced_slices(lake: Path) -> list[str]:
    """Slices whose manifest does not add up, or whose quarantine file disagrees with it or
    holds a record without a reason."""
    problems = []
    for manifest in sorted((lake / "raw").rglob("_manifest.json")):
        m = json.loads(manifest.read_text())
        name = f"{m['platform']}/{m['entity']}/{m['day']}"
        if m["fetched"] != m["landed"] + m["quarantined"] + m["duplicates"]:
            problems.append(f"{name}: fetched {m['fetched']} != {m['landed']} + {m['quarantined']} + {m['duplicates']}")
        qfile = lake / "quarantine" / m["platform"] / m["entity"] / f"dt={m['day']}" / "records.jsonl"
        lines = qfile.read_text(encoding="utf-8").splitlines() if qfile.exists() else []
        if len(lines) != m["quarantined"]:
            problems.append(f"{name}: {len(lines)} quarantined records on disk, manifest says {m['quarantined']}")
        if any(not json.loads(line).get("reason") for line in lines):
            problems.append(f"{name}: a quarantined record without a reason")
    return problems


# --------------------------------------------------------------------------- lake content

def lake_rows(lake: Path) -> dict[tuple, list[str]]:
    """Every slice's rows as sorted JSON lines, ``_loaded_at`` left out (it tells two landings of
    the same rows apart), keyed by (platform, entity, day)."""
    out = {}
    for data in sorted((lake / "raw").rglob("data.parquet")):
        platform, entity, part = data.parts[-4:-1]
        rows = pq.read_table(data).drop_columns([LOADED_AT_COLUMN]).to_pylist()
        out[(platform, entity, part.removeprefix("dt="))] = sorted(json.dumps(r, sort_keys=True, default=str)
                                                                    for r in rows)
    return out


def events_by_entity(rows: dict[tuple, list[str]]) -> dict[tuple, set[str]]:
    """Event rows (posts, comments) as one set per (platform, entity), whatever slice holds them."""
    out: dict[tuple, set[str]] = {}
    for (platform, entity, _day), lines in rows.items():
        if entity in EVENT_ENTITIES:
            out.setdefault((platform, entity), set()).update(lines)
    return out


def diff_lakes(got: dict, want: dict) -> list[str]:
    """The slices that differ."""
    problems = []
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            a, b = set(got.get(key, [])), set(want.get(key, []))
            problems.append(f"{'/'.join(key)}: {len(a - b)} row(s) not in the baseline, {len(b - a)} missing")
    return problems


# --------------------------------------------------------------------------- marts

def duplicated_mart_keys(warehouse: Path, marts) -> dict[str, int]:
    """Per mart, how many rows repeat a key of its grain (its dbt YAML's uniqueness test)."""
    import duckdb

    from orchestration.runs import duplicated_keys

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return duplicated_keys(con, marts)


def iso(d: date | datetime) -> str:
    return d.isoformat()
