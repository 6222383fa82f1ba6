"""What every platform's data contract shares: the entities, the time type, the version."""
import pyarrow as pa

# Bump whenever a schema changes; written into every Parquet file's metadata and slice manifest.
SCHEMA_VERSION = "1"

UTC_TS = pa.timestamp("us", tz="UTC")

ENTITIES = ("profiles", "posts", "post_metrics", "comments", "audience")
