"""Pull one platform-day from its export API and land every entity of it.

This is the function the orchestrator calls per partition. Fetching finishes
before anything is landed, so a failed pull leaves the previous slices intact.
"""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from ingestion import settings as cfg
from ingestion.http import PlatformHttp
from ingestion.landing import SliceReport, land, normalize
from ingestion.platforms.instagram import normalize as instagram_normalize
from ingestion.platforms.instagram.client import InstagramConnector
from ingestion.platforms.weibo import normalize as weibo_normalize
from ingestion.platforms.weibo.client import WeiboConnector
from ingestion.schemas import ENTITIES

log = logging.getLogger(__name__)

CONNECTORS = {"weibo": (WeiboConnector, weibo_normalize.NORMALIZERS),
              "instagram": (InstagramConnector, instagram_normalize.NORMALIZERS)}


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
    reports = []
    for entity in ENTITIES:
        records = raw.records[entity]
        table, quarantined, duplicates = normalize(platform, entity, records, normalizers[entity])
        reports.append(land(lake, platform, entity, day, table, quarantined, duplicates, fetched=len(records),
                            extra={"requests": http.stats.requests, "bytes": http.stats.bytes,
                                   "accounts": len(accounts)}))
        if quarantined:
            log.warning("%s/%s/%s: %d record(s) quarantined, first reason: %s", platform, entity, day,
                        len(quarantined), quarantined[0]["reason"])
    return reports
