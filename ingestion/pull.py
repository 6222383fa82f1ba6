"""Pull one platform-day from its export API and land every entity of it.

This is the function the orchestrator calls per partition. Fetching and
normalising finish before anything is landed, so a pull that fails leaves the
previous slices of that platform-day as they were.
"""
from __future__ import annotations

import importlib
import logging
from datetime import date
from pathlib import Path

from ingestion import replay
from ingestion import settings as cfg
from ingestion.http import PlatformHttp
from ingestion.landing import SliceReport, drop_already_landed, land, normalize
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
    recorder = Recorder(secret=settings.token)
    http = PlatformHttp(settings, recorder=recorder)
    try:
        raw = connector_cls(http).pull_day(accounts, day)
    finally:
        http.close()
    reports = land_platform_day(platform, day, raw, accounts, lake, http.stats)
    # The answers are kept after the slices they made: a replay always has its slices' source.
    replay.save(lake, platform, day, accounts, recorder)
    return reports


def replay_platform_day(platform: str, day: date, lake: Path | None = None) -> list[SliceReport]:
    """Re-normalise and re-land a platform-day from its recorded answers, without the platform."""
    if platform not in CONNECTORS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(CONNECTORS)}")
    lake = lake or cfg.lake_dir()
    header, calls = replay.load(lake, platform, day)
    settings = cfg.platform_settings(platform)
    http = replay.ReplayHttp(settings, calls)
    raw = CONNECTORS[platform][0](http).pull_day(header["accounts"], day)
    return land_platform_day(platform, day, raw, header["accounts"], lake, http.stats, source="replay")


def land_platform_day(platform: str, day: date, raw, accounts: list[str], lake: Path, stats,
                      source: str = "api") -> list[SliceReport]:
    """Normalise every entity of a pulled day, then land them all."""
    normalizers = CONNECTORS[platform][1]
    # Normalise every entity before landing any, so that a failure leaves the previous
    # slices of this platform-day as they were.
    keep = kol_names(accounts, raw.records["profiles"])
    known = KNOWN_FIELDS[platform] or {}
    normalised = {entity: normalize(platform, entity, raw.records[entity], normalizers[entity],
                                    known_fields=known.get(entity), keep=keep) for entity in ENTITIES}
    reports = []
    for entity in ENTITIES:
        # Late rows re-read by the lookback window land once: what a neighbouring slice holds is a duplicate.
        result, already = drop_already_landed(lake, platform, entity, day, normalised[entity], LOOKBACK_DAYS)
        reports.append(land(lake, platform, entity, day, result.table, result.quarantined, result.duplicates,
                            fetched=len(raw.records[entity]),
                            extra={"source": source, "platform_day_requests": stats.requests,
                                   "platform_day_retries": stats.retries,
                                   "platform_day_bytes": stats.bytes, "accounts": len(accounts),
                                   "new_fields": result.new_fields, "already_landed": already}))
        if result.quarantined:
            log.warning("%s/%s/%s: %d record(s) quarantined, first reason: %s", platform, entity, day,
                        len(result.quarantined), result.quarantined[0]["reason"])
        if result.new_fields:
            log.warning("%s/%s/%s: fields the contract does not know, kept in _extras: %s", platform, entity, day,
                        ", ".join(f"{k} ({n})" for k, n in sorted(result.new_fields.items())))
    return reports
