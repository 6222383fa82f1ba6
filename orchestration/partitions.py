"""Partitions: one per UTC day, the unit in which the lake is landed and marts are rebuilt."""
from __future__ import annotations

from dagster import DailyPartitionsDefinition

# The lake is keyed by UTC day, whatever time zone the schedule fires in.
FIRST_DAY = "2025-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
