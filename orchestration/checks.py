"""Asset checks on the raw assets and the freshness promise of the marts.

Every raw asset (``raw/<platform>/<entity>``) carries three checks, evaluated in the
ingestion step right after its days land, from the slices' manifests only (a few small
JSON files per day, never the Parquet):

``slice_accounting`` (ERROR)
    every slice of the run's days is there and balances: fetched = landed + quarantined
    + duplicates. ``landed_day`` already refuses to let dbt run on such a day; this check
    shows the failure on the asset that caused it.
``quarantine_ratio`` (WARN over ``KOL_CHECK_QUARANTINE_WARN``, default 5 %; ERROR over
``KOL_CHECK_QUARANTINE_ERROR``, default 25 %)
    quarantined / fetched per day. Quarantined records are kept with their reason and
    can be re-landed from the recorded answers, and the rows that did land are right, so
    a few bad records are a warning to fix a connector, not a reason to stop the night.
    When a quarter of a day is missing, the day's marts undercount by as much: an error.
``row_count_vs_norm`` (WARN)
    a day's landed rows against the median of the same slice's previous
    ``KOL_CHECK_ROWS_HISTORY_DAYS`` (14) landed days; fails outside
    [median / k, median * k], k = ``KOL_CHECK_ROWS_FACTOR`` (3). Passes, saying why, with
    fewer than ``KOL_CHECK_ROWS_MIN_HISTORY`` (3) days of history or a median under
    ``KOL_CHECK_ROWS_MIN_MEDIAN`` (10 rows: small counts swing by more than k on their own).
    A warning only: real days do jump (a viral post, accounts added to the roster).

None of them is blocking: the gate (``landed_day``) already stops dbt on what would make
the marts wrong, and a blocking check would also stop dbt for a mere warning.

The marts (``models/marts/**``) carry a time-window freshness policy: materialised within
``KOL_MART_FRESHNESS_HOURS`` (26: the nightly cadence plus two hours of slack).
"""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from dagster import (
    AssetCheckKey, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, AssetSpec, FreshnessPolicy,
    MetadataValue,
)

from ingestion.landing import landed_days_before, read_manifest

ACCOUNTING = "slice_accounting"
QUARANTINE = "quarantine_ratio"
ROW_NORM = "row_count_vs_norm"
RAW_CHECKS = (ACCOUNTING, QUARANTINE, ROW_NORM)


@dataclass(frozen=True)
class CheckSettings:
    quarantine_warn: float = 0.05
    quarantine_error: float = 0.25
    history_days: int = 14
    min_history: int = 3
    rows_factor: float = 3.0
    rows_min_median: float = 10

    @classmethod
    def from_env(cls) -> "CheckSettings":
        # Read when a step runs, not at import: a changed threshold applies to the next run.
        env, d = os.environ.get, cls()
        return cls(
            quarantine_warn=float(env("KOL_CHECK_QUARANTINE_WARN", d.quarantine_warn)),
            quarantine_error=float(env("KOL_CHECK_QUARANTINE_ERROR", d.quarantine_error)),
            history_days=int(env("KOL_CHECK_ROWS_HISTORY_DAYS", d.history_days)),
            min_history=int(env("KOL_CHECK_ROWS_MIN_HISTORY", d.min_history)),
            rows_factor=float(env("KOL_CHECK_ROWS_FACTOR", d.rows_factor)),
            rows_min_median=float(env("KOL_CHECK_ROWS_MIN_MEDIAN", d.rows_min_median)),
        )


def raw_check_specs(asset_key: AssetKey, platform: str, entity: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(ACCOUNTING, asset=asset_key,
                       description=f"Every {platform} {entity} slice of the run's days is landed and balances: "
                                   "fetched = landed + quarantined + duplicates."),
        AssetCheckSpec(QUARANTINE, asset=asset_key,
                       description="Quarantined / fetched per day: WARN over KOL_CHECK_QUARANTINE_WARN (5 %), "
                                   "ERROR over KOL_CHECK_QUARANTINE_ERROR (25 %)."),
        AssetCheckSpec(ROW_NORM, asset=asset_key,
                       description="The day's landed rows within [median / k, median * k] of the slice's previous "
                                   "landed days (KOL_CHECK_ROWS_HISTORY_DAYS, KOL_CHECK_ROWS_FACTOR); skipped "
                                   "with too little history."),
    ]


class _Manifests:
    """Manifests read once per step: a range's days share most of their history."""

    def __init__(self, lake: Path, platform: str, entity: str):
        self.lake, self.platform, self.entity = lake, platform, entity
        self._cache: dict[date, tuple[dict | None, str | None]] = {}

    def read(self, day: date) -> tuple[dict | None, str | None]:
        """(manifest, None); (None, None) when the slice is not landed; (None, why) when unreadable."""
        if day not in self._cache:
            try:
                self._cache[day] = read_manifest(self.lake, self.platform, self.entity, day), None
            except ValueError as exc:
                self._cache[day] = None, str(exc)
        return self._cache[day]


def _day_table(rows: list[dict], columns: list[str]) -> MetadataValue:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return MetadataValue.md(head + "\n".join("| " + " | ".join(str(r.get(c, "")) for c in columns) + " |"
                                             for r in rows))


def evaluate_raw_checks(lake: Path, platform: str, entity: str, days: list[date],
                        settings: CheckSettings | None = None,
                        selected: Iterable[AssetCheckKey] | None = None,
                        asset_key: AssetKey | None = None) -> Iterator[AssetCheckResult]:
    """The checks of ``raw/<platform>/<entity>`` over ``days`` (a run's partition window),
    only those in ``selected`` when given."""
    settings = settings or CheckSettings.from_env()
    asset_key = asset_key or AssetKey(["raw", platform, entity])
    wanted = {k.name for k in selected if k.asset_key == asset_key} if selected is not None else set(RAW_CHECKS)
    manifests = _Manifests(lake, platform, entity)
    if ACCOUNTING in wanted:
        yield _accounting(asset_key, manifests, days)
    if QUARANTINE in wanted:
        yield _quarantine(asset_key, manifests, days, settings)
    if ROW_NORM in wanted:
        yield _row_norm(asset_key, manifests, days, settings)


def _accounting(key: AssetKey, manifests: _Manifests, days: list[date]) -> AssetCheckResult:
    rows, problems = [], ([] if days else ["no landed day to check"])
    for day in days:
        m, error = manifests.read(day)
        if m is None:
            problems.append(f"{day}: {error or 'not landed'}")
            continue
        fetched, landed, quarantined, dups = (m.get(k) for k in ("fetched", "landed", "quarantined", "duplicates"))
        try:
            gap = fetched - (landed + quarantined + dups)
        except TypeError:
            gap = None
        rows.append({"day": day.isoformat(), "fetched": fetched, "landed": landed, "quarantined": quarantined,
                     "duplicates": dups, "unaccounted": gap})
        if gap != 0:
            problems.append(f"{day}: fetched {fetched} != landed {landed} + quarantined {quarantined} "
                            f"+ duplicates {dups}")
    metadata: dict[str, Any] = {
        "days": len(days), "days_balanced": len(days) - len(problems),
        **{k: sum(r[k] for r in rows if isinstance(r[k], int)) for k in ("fetched", "landed", "quarantined",
                                                                         "duplicates")},
    }
    if problems:
        metadata["problems"] = MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]))
    if len(rows) > 1:
        metadata["per_day"] = _day_table(rows, ["day", "fetched", "landed", "quarantined", "duplicates",
                                                "unaccounted"])
    return AssetCheckResult(asset_key=key, check_name=ACCOUNTING, passed=not problems, metadata=metadata,
                            severity=AssetCheckSeverity.ERROR,
                            description="; ".join(problems[:5]) if problems else None)


def _quarantine(key: AssetKey, manifests: _Manifests, days: list[date], s: CheckSettings) -> AssetCheckResult:
    rows, worst = [], None
    for day in days:
        m, _ = manifests.read(day)
        if m is None:
            continue  # slice_accounting names missing and unreadable slices
        fetched, quarantined = m.get("fetched") or 0, m.get("quarantined") or 0
        ratio = quarantined / fetched if fetched else 0.0
        rows.append({"day": day.isoformat(), "fetched": fetched, "quarantined": quarantined,
                     "ratio": round(ratio, 4)})
        if worst is None or ratio > worst["ratio"]:
            worst = rows[-1]
    over_warn = [r for r in rows if r["ratio"] > s.quarantine_warn]
    over_error = [r for r in rows if r["ratio"] > s.quarantine_error]
    metadata: dict[str, Any] = {
        "days_read": len(rows), "warn_threshold": s.quarantine_warn, "error_threshold": s.quarantine_error,
        "fetched": sum(r["fetched"] for r in rows), "quarantined": sum(r["quarantined"] for r in rows),
        "worst_ratio": worst["ratio"] if worst else 0.0, "worst_day": worst["day"] if worst else "",
    }
    if len(rows) > 1:
        metadata["per_day"] = _day_table(rows, ["day", "fetched", "quarantined", "ratio"])
    failed = over_error or over_warn
    return AssetCheckResult(
        asset_key=key, check_name=QUARANTINE, passed=not failed, metadata=metadata,
        severity=AssetCheckSeverity.ERROR if over_error else AssetCheckSeverity.WARN,
        description=("quarantined over "
                     f"{s.quarantine_error if over_error else s.quarantine_warn:.0%} of fetched on "
                     + ", ".join(f"{r['day']} ({r['quarantined']}/{r['fetched']})" for r in failed[:10]))
        if failed else None)


def _row_norm(key: AssetKey, manifests: _Manifests, days: list[date], s: CheckSettings) -> AssetCheckResult:
    rows, out_of_band = [], []
    for day in days:
        m, _ = manifests.read(day)
        if m is None:
            continue
        row: dict[str, Any] = {"day": day.isoformat(), "rows": m.get("landed") or 0}
        history = []
        for past in landed_days_before(manifests.lake, manifests.platform, manifests.entity, day, s.history_days):
            pm, _ = manifests.read(past)
            if pm is not None and isinstance(pm.get("landed"), int):
                history.append(pm["landed"])
        row["history_days"] = len(history)
        if len(history) < s.min_history:
            row["verdict"] = f"skipped: {len(history)} day(s) of history, {s.min_history} needed"
        else:
            median = statistics.median(history)
            low, high = median / s.rows_factor, median * s.rows_factor
            row.update(median=median, low=round(low, 1), high=round(high, 1))
            if median < s.rows_min_median:
                row["verdict"] = f"skipped: median {median} under {s.rows_min_median} rows"
            elif low <= row["rows"] <= high:
                row["verdict"] = "within"
            else:
                row["verdict"] = f"{row['rows'] / median:.1f}x the median" if median else "above a zero median"
                out_of_band.append(row)
        rows.append(row)
    judged = [r for r in rows if not r["verdict"].startswith("skipped")]
    # The numbers of the day that decided the verdict: the worst day out of band, else the latest judged.
    shown = out_of_band[0] if out_of_band else (judged[-1] if judged else (rows[-1] if rows else {}))
    metadata: dict[str, Any] = {
        "days_judged": len(judged), "days_skipped": len(rows) - len(judged), "factor": s.rows_factor,
        "history_window_days": s.history_days, "min_history_days": s.min_history,
        **{k: shown[k] for k in ("day", "rows", "median", "low", "high", "history_days", "verdict") if k in shown},
    }
    if len(rows) > 1:
        metadata["per_day"] = _day_table(rows, ["day", "rows", "history_days", "median", "low", "high", "verdict"])
    return AssetCheckResult(
        asset_key=key, check_name=ROW_NORM, passed=not out_of_band, metadata=metadata,
        severity=AssetCheckSeverity.WARN,
        description=("rows far from the recent median on "
                     + ", ".join(f"{r['day']} ({r['rows']} vs median {r['median']})" for r in out_of_band[:10]))
        if out_of_band else (None if judged else "not judged: " + (rows[-1]["verdict"] if rows else "no slice")))


def mart_freshness_hours() -> float:
    return float(os.environ.get("KOL_MART_FRESHNESS_HOURS", "26"))


def is_mart(dbt_props: Mapping[str, Any]) -> bool:
    fqn = dbt_props.get("fqn") or []
    return dbt_props.get("resource_type") == "model" and len(fqn) > 2 and fqn[1] == "marts"


def with_mart_freshness(spec: AssetSpec, dbt_props: Mapping[str, Any]) -> AssetSpec:
    """The spec of a mart with its freshness policy; other dbt nodes unchanged. The nightly run
    rebuilds every mart, so a mart older than a day and a bit means a night went wrong."""
    if not is_mart(dbt_props):
        return spec
    return spec.replace_attributes(
        freshness_policy=FreshnessPolicy.time_window(fail_window=timedelta(hours=mart_freshness_hours())))
