{#-
    The smallest of subscores in [0, 1] that are known: null only when all are null.
    (SQL engines differ on least() with nulls: some skip them, some return null.)
-#}
{% macro kol_least_known(expressions) -%}
    case
        when {% for e in expressions %}{{ e }} is null{% if not loop.last %} and {% endif %}{% endfor %} then null
        else least({% for e in expressions %}coalesce({{ e }}, 2){% if not loop.last %}, {% endif %}{% endfor %})
    end
{%- endmacro %}
