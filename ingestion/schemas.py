"""The data contract: one explicit pyarrow schema per landed (platform, entity).

Landed tables keep each platform's own field names (``attitudes_count`` stays
``attitudes_count``) but with real types: ids as strings, every timestamp in UTC,
counts as int64. Renaming into the cross-platform vocabulary is dbt staging's job,
so that the lake stays a faithful, typed copy of what the platform said.

Each platform keeps its schemas and natural keys in ``ingestion/platforms/<platform>/schema.py``;
this module gathers the platforms that have a connector. Landing stamps every file with
``_loaded_at`` (``ingestion/contract.py``), the moment it was landed. Bump ``SCHEMA_VERSION``
(``ingestion/contract.py``) whenever a schema changes; it is written into every Parquet
file's metadata and into the slice manifest.
"""
from __future__ import annotations

import importlib

import pyarrow as pa

from ingestion.contract import ENTITIES, LOADED_AT_COLUMN, LOADED_AT_FIELD, SCHEMA_VERSION, UTC_TS
from ingestion.privacy import derived_handle_fields, pii_kind

# Platforms with a connector, in the order the orchestrator lists them.
CONNECTED_PLATFORMS = ("weibo", "douyin", "xiaohongshu", "bilibili", "wechat", "instagram", "tiktok", "youtube", "x")

_MODULES = {p: importlib.import_module(f"ingestion.platforms.{p}.schema") for p in CONNECTED_PLATFORMS}
SCHEMAS: dict[str, dict[str, pa.Schema]] = {p: m.SCHEMAS for p, m in _MODULES.items()}
# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS: dict[str, dict[str, tuple[str, ...]]] = {p: m.NATURAL_KEYS for p, m in _MODULES.items()}
PLATFORMS = tuple(SCHEMAS)
__all__ = ["ENTITIES", "EXTRAS_COLUMN", "LOADED_AT_COLUMN", "NATURAL_KEYS", "PLATFORMS", "SCHEMAS", "SCHEMA_VERSION",
           "UTC_TS", "base_schema", "normalised_schema", "schema_for"]


EXTRAS_COLUMN = "_extras"  # fields the contract does not know yet, kept as JSON rather than dropped


def base_schema(platform: str, entity: str) -> pa.Schema:
    """The fields a platform's normaliser fills."""
    try:
        return SCHEMAS[platform][entity]
    except KeyError:
        raise ValueError(
            f"no data contract for platform={platform!r} entity={entity!r}; "
            f"known platforms: {', '.join(PLATFORMS)}; entities: {', '.join(ENTITIES)}"
        ) from None


def normalised_schema(platform: str, entity: str) -> pa.Schema:
    """What normalisation makes of a slice: the normaliser's fields, the features of
    pseudonymised handles (``<handle>_length``, ``<handle>_digit_count``) and ``_extras``."""
    base = base_schema(platform, entity)
    fields = list(base)
    for field in base:
        if pii_kind(field) == "handle":
            fields += derived_handle_fields(field)
    fields.append(pa.field(EXTRAS_COLUMN, pa.string()))
    return pa.schema(fields).with_metadata({"kol.schema_version": SCHEMA_VERSION, "kol.platform": platform, "kol.entity": entity})


def schema_for(platform: str, entity: str) -> pa.Schema:
    """The landed contract: the normalised fields, then ``_loaded_at``, which landing stamps."""
    return normalised_schema(platform, entity).append(LOADED_AT_FIELD)
