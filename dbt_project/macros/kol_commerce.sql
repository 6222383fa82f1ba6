{#-
    Commerce and file drops: reading the inbox's `files` pseudo-source, which exists only
    once something was dropped, and the helpers of the commerce and WCI marts.
-#}

{#
    How many files match a glob pattern, asked of the warehouse while dbt executes (0 when it
    only parses or compiles without a connection). A lake without any file drop has no
    `raw/files/<entity>` folder, and reading an empty glob is an error, not an empty table.
#}
{% macro kol_count_files(pattern) -%}
    {{ return(adapter.dispatch('kol_count_files', 'kol_warehouse')(pattern)) }}
{%- endmacro %}
{% macro default__kol_count_files(pattern) -%}
    {#- a warehouse that reads files as external tables has them declared: assume present -#}
    {{ return(1) }}
{%- endmacro %}
{% macro duckdb__kol_count_files(pattern) -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set result = run_query("select count(*) from glob('" ~ (pattern | replace("'", "''")) ~ "')") -%}
    {{ return(result.columns[0].values()[0] | int) }}
{%- endmacro %}

{#
    The landed rows of the inbox's entity `entity` (source('files', entity)), or, when no
    file of it was ever landed, a relation with the same `columns` (name -> SQL type) and
    no row, so that the staging model and everything downstream build on any lake.
    source() is called either way, so that the lineage (and Dagster's asset graph) holds.
#}
{% macro kol_files_source(entity, columns) -%}
    {%- set relation = source('files', entity) -%}
    {%- set lake = env_var('KOL_LAKE_DIR', '../data/lake') -%}
    {%- set landed = kol_count_files(lake ~ '/raw/files/' ~ entity ~ '/*/*.parquet') -%}
    {%- if landed > 0 -%}
        {{ relation }}
    {%- else -%}
        (
            select
                {%- for name, type in columns.items() %}
                cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
                {%- endfor %}
            where false
        )
    {%- endif -%}
{%- endmacro %}

{#
    `text_expr` matches one of the regular expressions in `patterns`, ignoring case (false
    for a null text).
#}
{% macro kol_matches_any(text_expr, patterns) -%}
    {{ return(adapter.dispatch('kol_matches_any', 'kol_warehouse')(text_expr, patterns)) }}
{%- endmacro %}
{% macro default__kol_matches_any(text_expr, patterns) -%}
    {%- if patterns is string -%}{%- set patterns = [patterns] -%}{%- endif -%}
    {%- if patterns | length == 0 -%}
        false
    {%- else -%}
    coalesce(
        {%- for pattern in patterns %}
        {{ text_expr }} ~* '{{ pattern | replace("'", "''") }}'{{ ' or' if not loop.last }}
        {%- endfor %}
    , false)
    {%- endif -%}
{%- endmacro %}
{% macro duckdb__kol_matches_any(text_expr, patterns) -%}
    {%- if patterns is string -%}{%- set patterns = [patterns] -%}{%- endif -%}
    {%- if patterns | length == 0 -%}
        false
    {%- else -%}
    coalesce(
        {%- for pattern in patterns %}
        regexp_matches({{ text_expr }}, '{{ pattern | replace("'", "''") }}', 'i'){{ ' or' if not loop.last }}
        {%- endfor %}
    , false)
    {%- endif -%}
{%- endmacro %}

{# Natural logarithm. #}
{% macro kol_ln(expr) -%}
    {{ return(adapter.dispatch('kol_ln', 'kol_warehouse')(expr)) }}
{%- endmacro %}
{% macro default__kol_ln(expr) -%}
    ln({{ expr }})
{%- endmacro %}
{% macro duckdb__kol_ln(expr) -%}
    ln({{ expr }})
{%- endmacro %}

{#
    A CASE over the platform column mapping each platform of a var dict (platform -> value,
    or platform -> {field: value}) to its value, else null. `field` picks a key of a nested
    dict; `quote` renders the value as a string literal.
#}
{% macro kol_platform_lookup(platform_expr, mapping, field=none, quote=false, null_type='double') -%}
    {%- set entries = [] -%}
    {%- for platform, value in (mapping or {}).items() -%}
        {%- set picked = value[field] if (field is not none and value is mapping) else value -%}
        {%- if picked is not none and picked != '' -%}
            {%- do entries.append((platform, picked)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if entries | length == 0 -%}
        cast(null as {{ null_type }})
    {%- else -%}
    case {{ platform_expr }}
        {%- for platform, picked in entries %}
        when '{{ platform }}' then {% if quote %}'{{ picked | replace("'", "''") }}'{% else %}cast({{ picked }} as {{ null_type }}){% endif %}
        {%- endfor %}
    end
    {%- endif -%}
{%- endmacro %}

{#
    One dimension of GSData's WCI (v14.2) from its four normalised inputs: reads, 在看
    (Wow), likes and forwards, with the weights and the count multiplier of vars
    wci_input_weights and wci_count_multiplier:
    w_R·ln(R+1) + w_Z·ln(m·Z+1) + w_L·ln(m·L+1) + w_RE·ln(m·RE+1).
#}
{% macro kol_wci_dimension(reads, wows, likes, forwards) -%}
    {%- set weights = var('wci_input_weights') -%}
    {%- set multiplier = var('wci_count_multiplier') -%}
    {%- for name in ['reads', 'wows', 'likes', 'forwards'] -%}
        {%- if name not in weights -%}
            {{ exceptions.raise_compiler_error("var wci_input_weights lacks '" ~ name ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    (
        {{ weights['reads'] }} * {{ kol_ln('(' ~ reads ~ ') + 1') }}
        + {{ weights['wows'] }} * {{ kol_ln(multiplier ~ ' * (' ~ wows ~ ') + 1') }}
        + {{ weights['likes'] }} * {{ kol_ln(multiplier ~ ' * (' ~ likes ~ ') + 1') }}
        + {{ weights['forwards'] }} * {{ kol_ln(multiplier ~ ' * (' ~ forwards ~ ') + 1') }}
    )
{%- endmacro %}
