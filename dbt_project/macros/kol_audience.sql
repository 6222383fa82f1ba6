{#
    Whether a follower's profile-picture URL is a picture of their own: not null, not
    empty, and matching none of var audience_default_avatar_url_patterns (SQL LIKE
    patterns of the placeholders a platform serves instead of none, such as Weibo's grey
    default avatar). Case-sensitive, like the URLs.
#}
{% macro kol_has_avatar(url_column) -%}
    {%- set patterns = var('audience_default_avatar_url_patterns') -%}
    {%- if patterns is string -%}
        {%- set patterns = [patterns] -%}
    {%- endif -%}
    (
        coalesce({{ url_column }}, '') <> ''
        {%- for pattern in patterns %}
        and {{ url_column }} not like '{{ pattern | replace("'", "''") }}'
        {%- endfor %}
    )
{%- endmacro %}
