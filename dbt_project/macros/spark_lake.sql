{#-
    Reading the lake on engines without dbt-duckdb's `external_location`.

    On DuckDB every source is read in place: its meta.external_location is a read_parquet()
    over <lake>/raw/<source>/<table>/*/*.parquet that dbt-duckdb puts where source() is
    called. Other engines see source('weibo', 'profiles') as the relation weibo.profiles, so
    each staging model's pre-hook registers the sources it reads as such relations over the
    same folders.
-#}

{#
    Pre-hook of every staging model (dbt_project.yml): register the lake sources the model reads
    (nothing on DuckDB), just before its view is created over them. A build that runs only
    later models reads the sources as last registered: new days are read all the same (the
    folder is listed at each query); a new column needs the staging models rebuilt.
#}
{% macro kol_register_model_sources() -%}
    {{ return(adapter.dispatch('kol_register_model_sources', 'kol_warehouse')()) }}
{%- endmacro %}
{% macro default__kol_register_model_sources() -%}
{%- endmacro %}

{#
    Spark: one database per source (the platform, or `files`) and one external Parquet table
    per source table over its hive-partitioned folder. The table's schema is inferred once, when
    it is registered (spark.sql.parquet.mergeSchema in profiles.yml: files landed before a column
    existed read it as null, should a lake not yet be brought to the current contract by
    ingestion/lake_upgrade.py, which DuckDB's sources rely on), and kept in the metastore, so the models
    that read it do not infer it again; `dt` is discovered from the dt=YYYY-MM-DD folder names as
    a date and prunes partitions as on DuckDB. spark.sql.hive.manageFilesourcePartitions is off,
    so each query lists the folder: a day landed since registration is read. A table is
    registered again each time its staging model is built (dropping an external table never
    deletes its files). The inbox's tables (`files`) also expose `filename`, the landed file's
    path (with a file: scheme), as read_parquet(filename = true) does, through a view over the
    table. Only folders that exist can be registered (Spark checks the path): the platforms'
    always do (a platform in var kol_platforms has its folders); the inbox's once a file of the
    entity was landed (docs/scaling.md).
#}
{% macro spark__kol_register_model_sources() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- for unique_id in model.depends_on.nodes if unique_id.startswith('source.') -%}
        {%- do kol_register_lake_source(graph.sources[unique_id]) -%}
    {%- endfor -%}
{%- endmacro %}

{# Register one source node (from graph.sources) over its lake folder, on Spark. #}
{% macro kol_register_lake_source(node) -%}
    {%- set path = kol_lake_dir() ~ '/raw/' ~ node.source_name ~ '/' ~ node.name -%}
    {%- set relation = node.schema ~ '.' ~ node.identifier -%}
    {%- if node.source_name != 'files' or kol_count_files(path) > 0 -%}
        {%- do run_query('create database if not exists ' ~ node.schema) -%}
        {%- if node.source_name == 'files' -%}
            {%- do run_query('drop view if exists ' ~ relation) -%}
            {%- do run_query('drop table if exists ' ~ relation ~ '__files') -%}
            {%- do run_query('create table ' ~ relation ~ "__files using parquet options (path '" ~ path ~ "')") -%}
            {%- do run_query('create view ' ~ relation ~ ' as select *, _metadata.file_path as filename from ' ~ relation ~ '__files') -%}
        {%- else -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query('create table ' ~ relation ~ " using parquet options (path '" ~ path ~ "')") -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{# The lake's root, absolute or relative to dbt_project/ (env var KOL_LAKE_DIR). #}
{% macro kol_lake_dir() -%}
    {{ return(env_var('KOL_LAKE_DIR', '../data/lake').rstrip('/')) }}
{%- endmacro %}
