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

from ingestion import settings as cfg
from ingestion.http import PlatformHttp
from ingestion.landing import SliceReport, land, normalize
from ingestion.schemas import CONNECTED_PLATFORMS, ENTITIES

log = logging.getLogger(__name__)

# Each platform folder has a client (``CONNECTOR``) and normalisers (``NORMALIZERS``).
CONNECTORS = {
    p: (importlib.import_module(f"ingestion.platforms.{p}.client").CONNECTOR,
        importlib.import_module(f"ingestion.platforms.{p}.normalize").NORMALIZERS)
    for p in CONNECTED_PLATFORMS
}


def pull_platform_day(platform: str, day: date, lake: Path | None = None,
                      settings: cfg.PlatformSettings | None = None,
                      accounts: list[str] | None = None) -> list[SliceReport]:
    if platform not in CONNECTORS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(CONNECTORS)}")
    lake = lake or cfg.lake_dir()
    settings = settings or cfg.platform_settings(platform)
    accounts = cfg.tracked_accounts(platform) if accounts is None else accounts
    connector_cls, normalizers = CONNECTORS[platform]
    http = PlatformHttp(settings)
    try:
        raw = connector_cls(http).pull_day(accounts, day)
    finally:
        http.close()
    # Normalise every entity before landing any, so that a failure leaves the previous
    # slices of this platform-day as they were.
    normalised = {entity: normalize(platform, entity, raw.records[entity], normalizers[entity]) for entity in ENTITIES}
    reports = []
    for entity, (table, quarantined, duplicates) in normalised.items():
        reports.append(land(lake, platform, entity, day, table, quarantined, duplicates,
                            fetched=len(raw.records[entity]),
                            extra={"platform_day_requests": http.stats.requests,
                                   "platform_day_bytes": http.stats.bytes, "accounts": len(accounts)}))
        if quarantined:
            log.warning("%s/%s/%s: %d record(s) quarantined, first reason: %s", platform, entity, day,
                        len(quarantined), quarantined[0]["reason"])
    return reports
