{#
    Stops the run when the lake records (raw/_contract.json, written by ingestion/lake_upgrade.py)
    another data contract than the one these models read (var kol_lake_contract): its files may
    not have the columns the sources bind from the first file. A lake without the record (never
    checked) runs: what landing writes is on the contract. Called by on-run-start; renders no SQL.
#}
{% macro kol_check_lake_contract() -%}
    {{ return(adapter.dispatch('kol_check_lake_contract', 'kol_warehouse')()) }}
{%- endmacro %}
{% macro default__kol_check_lake_contract() -%}
    {#- Spark reads the lake with mergeSchema (profiles.yml): any contract's files read together -#}
{%- endmacro %}
{% macro duckdb__kol_check_lake_contract() -%}
    {%- if execute -%}
        {%- set record = env_var('KOL_LAKE_DIR', '../data/lake') ~ '/raw/_contract.json' -%}
        {%- if kol_count_files(record) > 0 -%}
            {%- set found = run_query("select cast(schema_version as varchar), cast(files_format_version as varchar) "
                                      ~ "from read_json('" ~ (record | replace("'", "''")) ~ "')") -%}
            {%- set lake_schema = found.columns[0].values()[0] -%}
            {%- set lake_files = found.columns[1].values()[0] -%}
            {%- set expected = var('kol_lake_contract') -%}
            {%- if lake_schema != expected['schema_version'] | string
                   or lake_files != expected['files_format_version'] | string -%}
                {{ exceptions.raise_compiler_error(
                    "The lake " ~ env_var('KOL_LAKE_DIR', '../data/lake') ~ " is recorded on data contract "
                    ~ "SCHEMA_VERSION " ~ lake_schema ~ " (inbox FORMAT_VERSION " ~ lake_files ~ "), and these "
                    ~ "models read SCHEMA_VERSION " ~ expected['schema_version'] ~ " (FORMAT_VERSION "
                    ~ expected['files_format_version'] ~ "): bring it to the current contract first with "
                    ~ "`make lake-upgrade` (python -m ingestion.lake_upgrade); the orchestrator does it itself.") }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
