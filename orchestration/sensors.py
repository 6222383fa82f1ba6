"""The inbox sensor: files dropped in the inbox (``KOL_INBOX_DIR``) launch a run that lands
them and rebuilds dbt for the days their rows touch.

Which days? A file's rows land on their own days (a post on its publication day, a
metric on its snapshot day, a sale on its day: ``docs/unified-format.md``), which the
file's name does not tell: a dashboard export of one day holds posts of the week before.
The run's partition range must be known when it is launched, so the sensor plans each
new file with the inbox's own code (``ingestion.inbox.plan_file``: read, recognise and
validate the rows, write nothing). That costs a read of the file, once per file, and
gives exactly the days the run will land, quarantined rows' days included. The
alternative, landing in the sensor and launching dbt for the landed days, would do the
run's work in the daemon, outside the pools and the run history.

A file triggers once: the cursor holds the name, size and modification time of every
file already planned that is still in the inbox (the run moves it to ``processed/``,
and it leaves the cursor then); a file rewritten in place is new again.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from dagster import (
    DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ingestion import inbox as inbox_mod
from orchestration.assets.inbox import FILE_ENTITIES, file_asset_key, inbox_dir
from orchestration.jobs import inbox_job
from orchestration.partitions import FIRST_DAY

MIN_INTERVAL_S = int(os.environ.get("KOL_INBOX_SENSOR_INTERVAL_S", "30"))
# A sensor evaluation must end within a minute: files beyond this many bytes wait for the next tick.
PLAN_BUDGET_BYTES = 64 * 2**20
# Touched days further apart than this go to separate runs, so an old export does not widen one
# dbt window over months of unrelated days.
MAX_GAP_DAYS = 7


def waiting_files(inbox: Path) -> dict[str, str]:
    """Files the inbox would process now: name -> "size:mtime_ns". Hidden and partial names (copies in
    progress), folders and anything but regular files are left out, as the inbox leaves them."""
    found = {}
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return found
    for entry in entries:
        if inbox_mod._ignored(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            continue
        found[entry.name] = f"{st.st_size}:{st.st_mtime_ns}"
    return found


def touched_days(path: Path, now: datetime | None = None) -> set[date]:
    """The days the rows of one dropped file would land on, planned by the inbox's own code without
    writing anything; empty for a file the inbox would reject (the run still moves it aside)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in inbox_mod.SUFFIXES:
        return set()
    try:
        inbox_mod.check_name(name)
        if path.is_symlink():
            return set()
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        with inbox_mod.csv_field_limit():
            sheet = inbox_mod.read_csv(data) if inbox_mod.SUFFIXES[suffix] == "csv" else inbox_mod.read_parquet(data)
            source = inbox_mod.recognise(name, sheet)
            keep = inbox_mod.kol_ids(source, sheet)
            plans = inbox_mod.plan_file(source, sheet, name, sha, keep, now, inbox_mod.FileReport(file=name, status=""))
    except (inbox_mod.Rejected, OSError):
        return set()
    return {day for plan in plans.values() for day in plan.slices}


def spans(days: set[date], max_gap: int = MAX_GAP_DAYS) -> list[tuple[date, date]]:
    """Sorted days as [first, last] ranges; days closer than ``max_gap`` share a range."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and (day - out[-1][1]).days <= max_gap:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def last_partition_day(now: datetime | None = None) -> date:
    """The newest daily partition: the last complete UTC day (daily_partitions has no end offset)."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date() - timedelta(days=1)


def partition_days(days: set[date], now: datetime | None = None) -> set[date]:
    """The days that are partitions now: not before the first one, and complete (UTC). A file's rows of
    today are landed at once and reach the marts with the nightly run after today."""
    first, last = date.fromisoformat(FIRST_DAY), last_partition_day(now)
    return {d for d in days if first <= d <= last}


def _run_key(files: dict[str, str], first: str, last: str) -> str:
    body = json.dumps([sorted(files.items()), first, last])
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def plan_runs(inbox: Path, cursor: str | None, now: datetime | None = None) -> tuple[list[RunRequest], str, list[str]]:
    """The sensor's whole decision, apart from Dagster: run requests for the new files, the next
    cursor, and a log line per new file."""
    seen: dict[str, str] = json.loads(cursor)["files"] if cursor else {}
    waiting = waiting_files(inbox)
    # Files that left the inbox (processed, rejected) leave the cursor: it stays as small as the inbox.
    seen = {name: sig for name, sig in seen.items() if waiting.get(name) == sig}
    new = {name: sig for name, sig in sorted(waiting.items()) if seen.get(name) != sig}
    planned: dict[str, str] = {}
    days: set[date] = set()
    log: list[str] = []
    budget = PLAN_BUDGET_BYTES
    for name, sig in new.items():
        size = int(sig.split(":")[0])
        if planned and size > budget:
            break  # the rest next tick; the first file always goes, whatever its size
        budget -= size
        file_days = touched_days(inbox / name, now)
        planned[name] = sig
        days |= file_days
        log.append(f"{name}: " + (", ".join(f"{a}..{b}" if a != b else str(a) for a, b in spans(file_days, 1))
                                  if file_days else "no rows with a day (nothing for dbt)"))
    next_cursor = json.dumps({"files": {**seen, **planned}}, sort_keys=True)
    if not planned:
        return [], next_cursor, log
    requests = []
    in_range = partition_days(days, now)
    for first, last in spans(in_range):
        a, b = first.isoformat(), last.isoformat()
        requests.append(RunRequest(
            run_key=_run_key(planned, a, b),
            tags={ASSET_PARTITION_RANGE_START_TAG: a, ASSET_PARTITION_RANGE_END_TAG: b, "kol/trigger": "inbox"},
        ))
    if not requests:
        # Nothing to rebuild yet (rows of today, or no readable rows): land the files all the same.
        last = last_partition_day(now).isoformat()
        requests.append(RunRequest(
            run_key=_run_key(planned, last, last), partition_key=last,
            asset_selection=[file_asset_key(e) for e in FILE_ENTITIES], tags={"kol/trigger": "inbox"},
        ))
    return requests, next_cursor, log


@sensor(
    job=inbox_job,
    minimum_interval_seconds=MIN_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="New files in the inbox (KOL_INBOX_DIR): land them, then dbt for the days their rows touch.",
)
def inbox_sensor(context: SensorEvaluationContext):
    inbox = inbox_dir()
    requests, cursor, log = plan_runs(inbox, context.cursor)
    for line in log:
        context.log.info(line)
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"no new file in {inbox}"), cursor=cursor)
    return SensorResult(run_requests=requests, cursor=cursor)


sensors = [inbox_sensor]
