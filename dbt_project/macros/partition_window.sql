{#-
    The partition window [min_date, max_date] that incremental marts rebuild, and the
    lookback days before it that their trailing computations read. Bounds are rendered as
    literals so that the warehouse prunes Parquet partitions (hive `dt`) statically.
-#}

{# var(name) parsed as a Python date, with a clear error for a malformed value. #}
{% macro kol_window_var_date(name) -%}
    {%- set raw = var(name) | string -%}
    {%- set parsed = none -%}
    {%- if modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', raw) -%}
        {%- set parsed = modules.datetime.datetime.strptime(raw, '%Y-%m-%d').date() -%}
    {%- endif -%}
    {%- if parsed is none -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be a 'YYYY-MM-DD' date, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(parsed) }}
{%- endmacro %}

{# 'YYYY-MM-DD' of min_date minus lookback_days. #}
{% macro kol_window_start_iso(lookback_days=0) -%}
    {%- set start = kol_window_var_date('min_date') - modules.datetime.timedelta(days=lookback_days | int) -%}
    {%- set end = kol_window_var_date('max_date') -%}
    {%- if kol_window_var_date('min_date') > end -%}
        {{ exceptions.raise_compiler_error("min_date " ~ var('min_date') ~ " is after max_date " ~ var('max_date')) }}
    {%- endif -%}
    {{ return(start.isoformat()) }}
{%- endmacro %}

{# SQL date literal of min_date minus lookback_days (the first day an incremental model reads). #}
{% macro kol_window_start(lookback_days=0) -%}
    {{ kol_date_literal(kol_window_start_iso(lookback_days)) }}
{%- endmacro %}

{#
    SQL date literal of max_date (the last day an incremental model writes) plus
    lookahead_days (the last day it reads: only a verdict that needs the days after a day
    reads past max_date, and only what is landed of them).
#}
{% macro kol_window_end(lookahead_days=0) -%}
    {%- set end = kol_window_var_date('max_date') + modules.datetime.timedelta(days=lookahead_days | int) -%}
    {{ kol_date_literal(end.isoformat()) }}
{%- endmacro %}

{#
    `column between <window start> and <window end>`, the rows an incremental model writes;
    with lookback_days / lookahead_days, the rows it reads before and after them.
#}
{% macro kol_in_window(column, lookback_days=0, lookahead_days=0) -%}
    {{ column }} between {{ kol_window_start(lookback_days) }} and {{ kol_window_end(lookahead_days) }}
{%- endmacro %}

{#
    Pre-hook of the incremental marts: on an incremental run, delete the whole window
    before delete+insert writes it back, so a rebuilt window is exactly what the current
    lake says (a row that no longer comes out of the model does not linger).
#}
{% macro kol_delete_window(date_column) -%}
    {{ return(adapter.dispatch('kol_delete_window', 'kol_warehouse')(date_column)) }}
{%- endmacro %}
{% macro default__kol_delete_window(date_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ kol_in_window(date_column) }}
    {%- endif -%}
{%- endmacro %}
{#
    Spark: nothing to delete first. The marts are Parquet tables partitioned by date_day and
    written by insert_overwrite with dynamic partition overwrite, which replaces every day the
    run writes whole. A day of the window for which the model gives no row at all keeps its
    old rows there (Parquet tables have no DELETE); a full refresh rebuilds everything.
#}
{% macro spark__kol_delete_window(date_column) -%}
{%- endmacro %}
