"""Keep every landed file of the lake on the current data contract.

dbt reads each lake table as one glob, ``read_parquet(<zone>/<entity>/*/*.parquet)``. Without
``union_by_name`` DuckDB binds the glob with the schema of its first file, which costs one
footer; with it, DuckDB reads the footer of every file and unifies them, a cost that grows with
every day landed (docs/benchmarks.md item 13: the nightly run on a year of history went from
57.8 to 43.6 s without it). So the sources read without ``union_by_name``, and this module
makes that safe: every file of a table has exactly the contract's columns and types
(``schemas.schema_for`` for a platform, ``inbox_schema.landed_schema`` for the inbox's files).

A file landed under an older contract is rewritten to the current one, row for row:

- a column the contract has added reads as null; ``_loaded_at`` (``SCHEMA_VERSION`` 2, not
  nullable) is taken from the slice's manifest (``loaded_at``, else the inbox's ``landed_at``),
  else from the file's modification time, the closest record of when it was landed;
- a column whose type changed is cast, and a value the cast refuses stops the upgrade;
- a column the contract does not know, or a null where the contract now requires a value, stops
  the upgrade: dropping or inventing it would change the data.

The upgrade is all or nothing: every file behind the contract is converted in memory (one at a
time) before any is rewritten, so a refusal (``LakeUpgradeError``) names every file in the way and
changes nothing. Each rewrite is atomic (``os.replace``) and the slice's manifest records the
version it came from.

Once every file is checked, ``<lake>/raw/_contract.json`` records the contract the lake is on
(``SCHEMA_VERSION``, the inbox's ``FORMAT_VERSION``, and a fingerprint of every contract's column
names and types, so that a schema edited without a version bump is caught too), and the next
call reads that one small file instead of every footer (12.7 s for the 36,378 files of a year of
``large``). Landing writes new files on the contract, and its rewrites of existing slices keep
their columns, so once every file is on the contract it stays there. The upgrade holds the lake
alone while it checks and rewrites (``landing.lake_writing``): no landing writes meanwhile.
Files copied into the lake by hand are not seen: run ``make lake-upgrade FORCE=1``.

The orchestrator calls ``upgrade_lake`` before every dbt invocation (``orchestration/assets/dbt.py``);
``make dbt-build`` and ``make lake-upgrade`` call it for dbt run alone.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion import inbox_schema, settings
from ingestion.contract import LOADED_AT_COLUMN, SCHEMA_VERSION
from ingestion.landing import lake_writing, replace_atomically, replace_json_atomically
from ingestion.schemas import ENTITIES, PLATFORMS, schema_for

CONTRACT_FILE = "_contract.json"  # <lake>/raw/_contract.json
FILES_ZONE = inbox_schema.SOURCE


class LakeUpgradeError(RuntimeError):
    """A landed file cannot be brought to the current contract without losing data."""


@dataclass
class UpgradeReport:
    checked: int = 0  # files whose schema was read (0 when the record said the lake is current)
    upgraded: list[str] = field(default_factory=list)  # files rewritten, relative to <lake>/raw
    skipped_folders: list[str] = field(default_factory=list)  # raw/ folders no dbt source reads
    recorded_current: bool = False  # the lake was already recorded as current: nothing was read


def contract_versions() -> dict[str, str]:
    """What the record must say for the lake to count as on the contract."""
    shapes = {f"{zone}/{entity}": [[f.name, str(f.type)] for f in expected_schema(zone, entity)]
              for zone, entities in [*((p, ENTITIES) for p in PLATFORMS), (FILES_ZONE, inbox_schema.ENTITIES)]
              for entity in entities}
    fingerprint = hashlib.sha256(json.dumps(shapes, sort_keys=True).encode()).hexdigest()[:16]
    return {"schema_version": SCHEMA_VERSION, "files_format_version": inbox_schema.FORMAT_VERSION,
            "schemas_fingerprint": fingerprint}


def expected_schema(zone: str, entity: str) -> pa.Schema | None:
    """The contract of ``raw/<zone>/<entity>``: a platform's, the inbox's, or None for a folder
    that no dbt source reads."""
    if zone == FILES_ZONE:
        return inbox_schema.landed_schema(entity) if entity in inbox_schema.ENTITIES else None
    try:
        return schema_for(zone, entity) if zone in PLATFORMS else None
    except ValueError:
        return None


def is_recorded_current(lake: Path) -> bool:
    try:
        recorded = json.loads((lake / "raw" / CONTRACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and all(recorded.get(k) == v for k, v in contract_versions().items())


def _on_contract(schema: pa.Schema, expected: pa.Schema) -> bool:
    return [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in expected]


def _manifest_of(path: Path) -> Path:
    # Platforms: <slice>/data.parquet + <slice>/_manifest.json; inbox: <stem>.parquet + _manifest-<stem>.json.
    return path.parent / ("_manifest.json" if path.name == "data.parquet" else f"_manifest-{path.stem}.json")


def _landed_at(path: Path, manifest: dict | None) -> datetime:
    for key in ("loaded_at", "landed_at"):
        if manifest and manifest.get(key):
            stamp = datetime.fromisoformat(manifest[key])
            return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)


def conform(table: pa.Table, expected: pa.Schema, landed_at: datetime) -> pa.Table:
    """``table`` with exactly ``expected``'s columns, in its order and types; raises ValueError on
    anything that would change or lose a value."""
    unknown = [n for n in table.column_names if expected.get_field_index(n) < 0]
    if unknown:
        raise ValueError(f"columns the contract does not know: {', '.join(unknown)}")
    columns = []
    for f in expected:
        if f.name in table.column_names:
            try:
                column = table[f.name].cast(f.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"column {f.name} ({table.schema.field(f.name).type}) does not cast to "
                                 f"{f.type}: {exc}") from None
            if not f.nullable and column.null_count:
                raise ValueError(f"column {f.name} has {column.null_count} null(s); the contract requires a value")
            columns.append(column)
        elif f.name == LOADED_AT_COLUMN:
            columns.append(pa.repeat(pa.scalar(landed_at, f.type), table.num_rows))
        elif f.nullable:
            columns.append(pa.nulls(table.num_rows, f.type))
        else:
            raise ValueError(f"column {f.name} is required by the contract and the file does not have it")
    return pa.Table.from_arrays(columns, schema=expected)


def _upgraded(raw: Path, path: Path, expected: pa.Schema) -> tuple[pa.Table, dict | None, Path]:
    """The file's rows on the contract, its manifest and the manifest's path; LakeUpgradeError
    naming the file when that would change or lose a value, or when the file or its manifest
    cannot be read."""
    manifest_file = _manifest_of(path)
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else None
        if manifest is not None and not isinstance(manifest, dict):
            raise ValueError("the manifest is not a JSON object")
        table = pq.read_table(path)
        upgraded = conform(table, expected, _landed_at(path, manifest))
    except FileNotFoundError:
        raise  # the inbox replaced the file while the lake was checked: nothing left to upgrade
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise LakeUpgradeError(f"{path.relative_to(raw)}: {exc}") from None
    if upgraded.num_rows != table.num_rows:  # conform never drops rows; a check, not a branch
        raise AssertionError(f"{path}: {table.num_rows} rows became {upgraded.num_rows}")
    if manifest is not None:
        version = expected.metadata[b"kol.schema_version"].decode()
        old_version = (table.schema.metadata or {}).get(b"kol.schema_version", b"?").decode()
        manifest |= {"schema_version": version, "upgraded_from_version": old_version,
                     "upgraded_at": datetime.now(timezone.utc).isoformat()}
        if "format_version" in manifest:  # the inbox's manifests name their version twice
            manifest["format_version"] = version
    return upgraded, manifest, manifest_file


def _rewrite(raw: Path, path: Path, expected: pa.Schema) -> None:
    upgraded, manifest, manifest_file = _upgraded(raw, path, expected)
    replace_atomically(path, lambda tmp: pq.write_table(upgraded, tmp, compression="zstd"))
    if manifest is not None:
        replace_json_atomically(manifest_file, manifest)


def upgrade_lake(lake: Path, force: bool = False, threads: int = 8) -> UpgradeReport:
    """Bring every file under ``<lake>/raw`` to the current contract and record that the lake is on
    it; a no-op reading one small file when the record already says so (unless ``force``)."""
    report = UpgradeReport()
    raw = lake / "raw"
    if not force and is_recorded_current(lake):
        report.recorded_current = True
        return report
    if not raw.is_dir():
        return report  # nothing landed yet: the first landing writes current files
    with lake_writing(raw, exclusive=True):
        _check_and_upgrade(raw, report, threads)
    return report


def _check_and_upgrade(raw: Path, report: UpgradeReport, threads: int) -> None:
    tables: list[tuple[Path, pa.Schema]] = []
    for zone in sorted(p for p in raw.iterdir() if p.is_dir()):
        for entity in sorted(p for p in zone.iterdir() if p.is_dir()):
            expected = expected_schema(zone.name, entity.name)
            if expected is None:
                report.skipped_folders.append(str(entity.relative_to(raw)))
            else:
                tables.append((entity, expected))
    files = [(path, expected) for folder, expected in tables for path in sorted(folder.glob("*/*.parquet"))]

    def footer(item: tuple[Path, pa.Schema]) -> pa.Schema | str | None:
        try:
            return pq.read_schema(item[0])
        except FileNotFoundError:
            return None  # replaced meanwhile (the inbox removes a re-dropped file's older copies)
        except (OSError, pa.ArrowException) as exc:  # an unreadable file stops the upgrade, named
            return f"{item[0].relative_to(raw)}: unreadable ({exc})"
    # Footers only; threads because most of the time is the file system's, not Python's.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        schemas = list(pool.map(footer, files))
    report.checked = len(files)
    problems = [s for s in schemas if isinstance(s, str)]
    behind = [(path, expected) for (path, expected), schema in zip(files, schemas)
              if isinstance(schema, pa.Schema) and not _on_contract(schema, expected)]
    # All or nothing: every file is upgraded in memory (one at a time) before any is rewritten, so a
    # refusal names every file in the way and leaves the lake exactly as it was.
    for path, expected in list(behind):
        try:
            _upgraded(raw, path, expected)
        except FileNotFoundError:
            behind.remove((path, expected))
        except LakeUpgradeError as exc:
            problems.append(str(exc))
    if problems:
        raise LakeUpgradeError(
            f"{len(problems)} file(s) cannot be brought to the current contract "
            f"(SCHEMA_VERSION {SCHEMA_VERSION}, inbox FORMAT_VERSION {inbox_schema.FORMAT_VERSION}) without "
            f"changing their data; nothing was changed. Fix or move them, then run the upgrade again:\n"
            + "\n".join(f"  {p}" for p in problems[:50]) + (f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""))
    for path, expected in behind:
        try:
            _rewrite(raw, path, expected)
        except FileNotFoundError:
            continue
        report.upgraded.append(str(path.relative_to(raw)))
    record = contract_versions() | {"checked_at": datetime.now(timezone.utc).isoformat(),
                                    "files_checked": report.checked, "files_upgraded": len(report.upgraded)}
    replace_json_atomically(raw / CONTRACT_FILE, record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.lake_upgrade", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, default=None, help="the lake (default: KOL_LAKE_DIR, else data/lake)")
    parser.add_argument("--force", action="store_true", help="check every file even if the lake is recorded current")
    args = parser.parse_args(argv)
    lake = args.lake or settings.lake_dir()
    try:
        report = upgrade_lake(lake, force=args.force)
    except LakeUpgradeError as exc:
        print(f"lake upgrade stopped: {exc}", file=sys.stderr)
        return 1
    if report.recorded_current:
        print(f"{lake}: on the current contract {contract_versions()} (recorded; --force to check every file)")
    else:
        print(f"{lake}: {report.checked} files checked, {len(report.upgraded)} rewritten to the current contract "
              f"{contract_versions()}")
        for name in report.upgraded[:20]:
            print(f"  upgraded {name}")
        if len(report.upgraded) > 20:
            print(f"  ... and {len(report.upgraded) - 20} more")
        for name in report.skipped_folders:
            print(f"  not a dbt source, left alone: raw/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
