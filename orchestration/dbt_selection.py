"""The dbt selections of the nightly run's two invocations, apart from Dagster so that the
benchmarks (bench/) run the same commands without importing it."""

# Every model under models/marts/daily is an incremental mart (tests/test_bench_helpers.py checks
# it). fqn rather than path selectors: dagster-dbt resolves path: from its working directory.
INCREMENTAL = "fqn:kol_warehouse.marts.daily"
# Named positively rather than as "everything but the daily marts": dbt applies its
# "buildable" test selection to --select only, and an --exclude would leave in the
# tests that join these models to the not-yet-built incremental marts. Staging and
# intermediate models are views, except int_post_niches, incremental since classifying
# posts is costly (it is rebuilt for the run's window here, as dim_kol reads it).
REBUILT_WHOLE = "resource_type:seed fqn:kol_warehouse.staging fqn:kol_warehouse.intermediate config.materialized:table"
# Unit tests check the models' logic on fixed rows, not the night's data: CI runs all of them
# (tests/test_dbt_build.py). Each costs a dbt node on a live warehouse, and in a nightly run
# they were about a third of dbt's time (bench/warehouse.py), so runs leave them out.
RUN_EXCLUDES = ["--exclude-resource-type", "unit_test"]
