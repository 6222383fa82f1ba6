"""Pull one platform-day from its export API and land every entity of it.

This is the function the orchestrator calls per partition. Fetching and
normalising finish before anything is landed, so a pull that fails leaves the
previous slices of that platform-day as they were.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from ingestion import replay
from ingestion import settings as cfg
from ingestion.http import PlatformError, PlatformHttp
from ingestion.landing import SliceReport, drop_already_landed, land, normalize_batches, release_from_later_slices
from ingestion.platforms.base import LOOKBACK_DAYS
from ingestion.replay import Recorder
from ingestion.schemas import CONNECTED_PLATFORMS, ENTITIES

log = logging.getLogger(__name__)

# Each platform folder has a client (``CONNECTOR``) and normalisers (``NORMALIZERS``, ``KNOWN_FIELDS``).
CONNECTORS = {
    p: (importlib.import_module(f"ingestion.platforms.{p}.client").CONNECTOR,
        importlib.import_module(f"ingestion.platforms.{p}.normalize").NORMALIZERS)
    for p in CONNECTED_PLATFORMS
}
KNOWN_FIELDS = {p: getattr(importlib.import_module(f"ingestion.platforms.{p}.normalize"), "KNOWN_FIELDS", None)
                for p in CONNECTED_PLATFORMS}

# Where a profile payload names the KOL: public figures keep their ids and handles.
_KOL_NAME_KEYS = ("id", "idstr", "user_id", "uid", "open_id", "mid", "screen_name", "username", "name", "nickname",
                  "display_name", "uname")


def kol_names(accounts: list[str], profiles: list) -> frozenset[str]:
    """The tracked KOLs' own ids and handles, which pseudonymisation leaves as they are."""
    names = set(accounts)
    for rec in profiles:
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        for body in (payload, *(v for v in payload.values() if isinstance(v, dict))):
            names.update(str(body[k]) for k in _KOL_NAME_KEYS if isinstance(body.get(k), (str, int)))
    return frozenset(names)


def pull_platform_day(platform: str, day: date, lake: Path | None = None,
                      settings: cfg.PlatformSettings | None = None,
                      accounts: list[str] | None = None) -> list[SliceReport]:
    if platform not in CONNECTORS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(CONNECTORS)}")
    lake = lake or cfg.lake_dir()
    settings = settings or cfg.platform_settings(platform)
    accounts = cfg.tracked_accounts(platform) if accounts is None else accounts
    connector_cls, _ = CONNECTORS[platform]
    # The answers stream into the responses file as they come; it is put in place after the
    # slices it made, so a replay always has its slices' source.
    recorder = Recorder(lake, platform, day, accounts, secret=settings.token)
    http = PlatformHttp(settings, recorder=recorder)
    raw = None
    try:
        raw = connector_cls(http).pull_day(accounts, day)
        http.close()
        reports = land_platform_day(platform, day, raw, accounts, lake, http.stats)
        recorder.commit()
    except BaseException:
        recorder.discard()
        raise
    finally:
        http.close()
        if raw is not None:
            raw.close()
    return reports


@dataclass
class DaysOutcome:
    """What a run over several days of one platform did: the slices of each landed day, and
    the error of each day that failed."""

    platform: str
    reports: dict[date, list[SliceReport]] = field(default_factory=dict)
    failures: dict[date, PlatformError] = field(default_factory=dict)

    @property
    def landed_days(self) -> list[date]:
        return sorted(self.reports)

    def totals(self) -> dict[str, dict]:
        """Per entity, the accounting summed over the landed days (Dagster metadata)."""
        out: dict[str, dict] = {}
        for day in self.landed_days:
            for r in self.reports[day]:
                t = out.setdefault(r.entity, {"rows_landed": 0, "records_fetched": 0, "records_quarantined": 0,
                                              "duplicates_dropped": 0, "days": 0})
                t["rows_landed"] += r.landed
                t["records_fetched"] += r.fetched
                t["records_quarantined"] += r.quarantined
                t["duplicates_dropped"] += r.duplicates
                t["days"] += 1
                t["path"] = r.path  # the latest day's slice
                t["schema_version"] = r.schema_version
        return out


# Errors that the next day would meet as well: the rest of the range is not tried.
_STOPS_THE_RANGE = ("auth", "quota")


def pull_days(platform: str, days: list[date], lake: Path | None = None, accounts: list[str] | None = None,
              log: Callable[[str], None] = lambda _msg: None) -> DaysOutcome:
    """Pull and land each day on its own: a day that fails leaves the others landed."""
    outcome = DaysOutcome(platform)
    for i, day in enumerate(days):
        try:
            outcome.reports[day] = pull_platform_day(platform, day, lake=lake, accounts=accounts)
            log(f"{platform} {day}: landed {sum(r.landed for r in outcome.reports[day])} rows")
        except PlatformError as exc:
            outcome.failures[day] = exc
            log(f"{platform} {day}: {exc}")
            if exc.kind in _STOPS_THE_RANGE:
                for rest in days[i + 1:]:
                    outcome.failures[rest] = exc
                break
    return outcome


def replay_platform_day(platform: str, day: date, lake: Path | None = None) -> list[SliceReport]:
    """Re-normalise and re-land a platform-day from its recorded answers, without the platform."""
    if platform not in CONNECTORS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(CONNECTORS)}")
    lake = lake or cfg.lake_dir()
    header, calls = replay.load(lake, platform, day)
    settings = cfg.platform_settings(platform)
    http = replay.ReplayHttp(settings, calls)
    raw = CONNECTORS[platform][0](http).pull_day(header["accounts"], day)
    try:
        return land_platform_day(platform, day, raw, header["accounts"], lake, http.stats, source="replay")
    finally:
        raw.close()


def land_platform_day(platform: str, day: date, raw, accounts: list[str], lake: Path, stats,
                      source: str = "api") -> list[SliceReport]:
    """Normalise every entity of a pulled day, then land them all."""
    normalizers = CONNECTORS[platform][1]
    # Normalise every entity before landing any, so that a failure leaves the previous
    # slices of this platform-day as they were.
    keep = kol_names(accounts, raw.records["profiles"])
    known = KNOWN_FIELDS[platform] or {}
    # Batch by batch from the day's spools: raw records are never all in memory at once.
    normalised = {entity: normalize_batches(platform, entity, raw.records[entity].batches(), normalizers[entity],
                                            known_fields=known.get(entity), keep=keep) for entity in ENTITIES}
    reports = []
    # One moment for the whole platform-day: its slices were pulled and landed together.
    loaded_at = datetime.now(timezone.utc)
    for entity in ENTITIES:
        # Late rows re-read by the lookback window land once: what an earlier slice holds is a
        # duplicate, and what a later slice caught late comes back to this day once it shows here.
        result, already = drop_already_landed(lake, platform, entity, day, normalised[entity], LOOKBACK_DAYS)
        reports.append(land(lake, platform, entity, day, result.table, result.quarantined, result.duplicates,
                            fetched=len(raw.records[entity]),
                            extra={"source": source, "platform_day_requests": stats.requests,
                                   "platform_day_retries": stats.retries,
                                   "platform_day_bytes": stats.bytes, "accounts": len(accounts),
                                   "new_fields": result.new_fields, "already_landed": already},
                            loaded_at=loaded_at))
        released = release_from_later_slices(lake, platform, entity, day, result.table, LOOKBACK_DAYS)
        if released:
            log.info("%s/%s/%s: %s row(s) shown late took back from later slices: %s", platform, entity, day,
                     sum(released.values()), released)
        if result.quarantined:
            log.warning("%s/%s/%s: %d record(s) quarantined, first reason: %s", platform, entity, day,
                        len(result.quarantined), result.quarantined[0]["reason"])
        if result.new_fields:
            log.warning("%s/%s/%s: fields the contract does not know, kept in _extras: %s", platform, entity, day,
                        ", ".join(f"{k} ({n})" for k, n in sorted(result.new_fields.items())))
    return reports
