{#-
    The step in which a platform displays a follower count near `count_expr` (var
    follower_count_rounding): a change of one step may be rounding, not growth. 0 for a
    platform that shows exact counts.
-#}
{% macro kol_follower_count_step(platform_expr, count_expr) -%}
    {%- set rounding = var('follower_count_rounding') -%}
    {%- if not rounding -%}
    0
    {%- else -%}
    case {{ platform_expr }}
        {%- for platform, rule in rounding.items() %}
        {%- if 'significant_digits' in rule %}
        when '{{ platform }}' then case when {{ count_expr }} >= {{ 10 ** (rule['significant_digits'] | int) }}
            then power(10, floor(log10({{ count_expr }})) + 1 - {{ rule['significant_digits'] | int }}) else 0 end
        {%- elif 'step' in rule and 'min_count' in rule %}
        when '{{ platform }}' then case when {{ count_expr }} >= {{ rule['min_count'] }} then {{ rule['step'] }} else 0 end
        {%- else -%}
        {{ exceptions.raise_compiler_error("var follower_count_rounding." ~ platform ~ " needs significant_digits, or min_count and step") }}
        {%- endif %}
        {%- endfor %}
        else 0
    end
    {%- endif -%}
{%- endmacro %}
