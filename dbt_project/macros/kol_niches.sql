{#-
    Niche detection (int_post_niches): a keyword of the seed niche_keywords matches a post's
    lower-cased text as a hashtag or as a whole word. Keywords are literal (no regex syntax),
    so they are pasted into the pattern as they are.
-#}

{# Does `text_expr` match the regular expression `pattern_expr` (both SQL expressions)? #}
{% macro kol_regexp_matches(text_expr, pattern_expr) -%}
    {{ return(adapter.dispatch('kol_regexp_matches')(text_expr, pattern_expr)) }}
{%- endmacro %}
{% macro default__kol_regexp_matches(text_expr, pattern_expr) -%}
    regexp_like({{ text_expr }}, {{ pattern_expr }})
{%- endmacro %}
{% macro duckdb__kol_regexp_matches(text_expr, pattern_expr) -%}
    regexp_matches({{ text_expr }}, {{ pattern_expr }})
{%- endmacro %}

{# Does `text_expr` contain the literal `needle_expr` (both SQL expressions)? #}
{% macro kol_contains(text_expr, needle_expr) -%}
    {{ return(adapter.dispatch('kol_contains')(text_expr, needle_expr)) }}
{%- endmacro %}
{% macro default__kol_contains(text_expr, needle_expr) -%}
    position({{ needle_expr }} in {{ text_expr }}) > 0
{%- endmacro %}
{% macro duckdb__kol_contains(text_expr, needle_expr) -%}
    contains({{ text_expr }}, {{ needle_expr }})
{%- endmacro %}

{#
    SQL pattern expression for a keyword column: as a hashtag, '#kw' ended by anything but a
    Latin letter or digit (Weibo's closing '#', a space, the end); as a word, the same with
    anything but a Latin letter or digit before it too. CJK has no word boundaries, and a
    CJK neighbour is not [a-z0-9], so a CJK keyword matches inside longer CJK text.
#}
{% macro kol_keyword_pattern(keyword_expr, as_hashtag) -%}
    {%- if as_hashtag -%}
    '#' || {{ keyword_expr }} || '([^a-z0-9]|$)'
    {%- else -%}
    '(^|[^a-z0-9#])' || {{ keyword_expr }} || '([^a-z0-9]|$)'
    {%- endif -%}
{%- endmacro %}
