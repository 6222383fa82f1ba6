{#- Follower tiers and their engagement-rate reference, both from vars. -#}

{% macro kol_tier_names() -%}
    {{ return(['sub_nano', 'nano', 'micro', 'mid', 'macro', 'mega']) }}
{%- endmacro %}

{# Tier of a follower count: edges from var kol_tier_edges (lower bound inclusive). #}
{% macro kol_tier(followers) -%}
    {%- set edges = var('kol_tier_edges') -%}
    {%- set ordered = ['nano', 'micro', 'mid', 'macro', 'mega'] -%}
    {%- for name in ordered -%}
        {%- if name not in edges -%}
            {{ exceptions.raise_compiler_error("var kol_tier_edges lacks '" ~ name ~ "'") }}
        {%- endif -%}
        {%- if not loop.first and (edges[name] | float) <= (edges[ordered[loop.index0 - 1]] | float) -%}
            {{ exceptions.raise_compiler_error("var kol_tier_edges must increase from nano to mega") }}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ followers }} is null then null
        {%- for name in ordered | reverse %}
        when {{ followers }} >= {{ edges[name] }} then '{{ name }}'
        {%- endfor %}
        else 'sub_nano'
    end
{%- endmacro %}

{# Reference engagement rate of a tier expression: var engagement_rate_reference. #}
{% macro kol_engagement_rate_reference(tier_expr) -%}
    {%- set reference = var('engagement_rate_reference') -%}
    case {{ tier_expr }}
        {%- for name in kol_tier_names() %}
        {%- if name not in reference -%}
            {{ exceptions.raise_compiler_error("var engagement_rate_reference lacks '" ~ name ~ "'") }}
        {%- endif %}
        when '{{ name }}' then {{ reference[name] }}
        {%- endfor %}
    end
{%- endmacro %}
