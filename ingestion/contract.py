"""What every platform's data contract shares: the entities, the time type, the version."""
import pyarrow as pa

# Bump whenever a schema changes; written into every Parquet file's metadata and slice manifest.
SCHEMA_VERSION = "2"  # 2: every landed file has _loaded_at

UTC_TS = pa.timestamp("us", tz="UTC")

ENTITIES = ("profiles", "posts", "post_metrics", "comments", "audience")

# When the slice was landed, in UTC: one value on every row of a landed file, stamped as the
# file is written (``landing.write_slice``), so it costs a constant column. dbt's source
# freshness reads it (``loaded_at_field``): the lake's data is about past days, so only the
# landing time tells whether the nightly pull ran.
LOADED_AT_COLUMN = "_loaded_at"
LOADED_AT_FIELD = pa.field(LOADED_AT_COLUMN, UTC_TS, nullable=False)
