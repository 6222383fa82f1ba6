{# Platforms that have a lake and staging models today; intermediate unions loop over them. #}
{% macro kol_lake_platforms() -%}
    {{ return(['weibo', 'instagram']) }}
{%- endmacro %}
