{# The platforms of the lake (var kol_platforms), each with its staging folder; intermediate
   unions loop over them. #}
{% macro kol_lake_platforms() -%}
    {{ return(var('kol_platforms')) }}
{%- endmacro %}

{# A staging model's `enabled`: its platform is in the lake. #}
{% macro kol_platform_enabled(platform) -%}
    {{ return(platform in var('kol_platforms')) }}
{%- endmacro %}

{#-
    The CTEs every intermediate union starts from, so that its model only computes:
      <platform>_<entity>  one import CTE per lake platform, from stg_<platform>__<entity>;
      platform_regions     the seed;
      platform_rows        the platforms' rows, `platform` plus `columns`, union all;
      unioned              platform_rows with the platform's `region` (left join: a platform
                           missing from the seed keeps its rows, with a null region).
    Rendered without a trailing comma: write `with {{ kol_union_platform_staging(...) }},`
    then the model's own CTEs, reading `unioned`.
-#}
{% macro kol_union_platform_staging(entity, columns) -%}
{%- set platforms = kol_lake_platforms() -%}
{% for platform in platforms -%}
{{ platform }}_{{ entity }} as (

    select * from {{ ref('stg_' ~ platform ~ '__' ~ entity) }}

),

{% endfor -%}
platform_regions as (

    select * from {{ ref('platform_regions') }}

),

platform_rows as (
{% for platform in platforms %}
    select
        platform,
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ platform }}_{{ entity }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

unioned as (

    select
        platform_rows.platform,
        platform_regions.region,
        {%- for column in columns %}
        platform_rows.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from platform_rows
    left join platform_regions
        on platform_regions.platform = platform_rows.platform

)
{%- endmacro %}
