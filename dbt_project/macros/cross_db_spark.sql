{#-
    The Spark side of the portability layer (macros/cross_db.sql and the areas' macros):
    `spark__` implementations chosen by adapter.dispatch when dbt runs with the spark target
    (dbt-spark). Each one gives what its `duckdb__` twin gives, so that the marts are equal on
    both engines (tests/test_spark.py compares them row for row).

    Spark string literals unescape backslashes ('\b' is a backspace), so every regular
    expression rendered here has its backslashes doubled (kol_spark_regex_literal).
-#}

{% macro spark__kol_add_days(date_expr, days) -%}
    date_add(cast({{ date_expr }} as date), cast({{ days }} as int))
{%- endmacro %}

{% macro spark__kol_days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}

{# DuckDB's date_diff('second') counts whole seconds between the truncated instants, as this does. #}
{% macro spark__kol_seconds_between(start_ts, end_ts) -%}
    (unix_timestamp({{ end_ts }}) - unix_timestamp({{ start_ts }}))
{%- endmacro %}

{# The session time zone is UTC (profiles.yml: spark.sql.session.timeZone). #}
{% macro spark__kol_utc_date(ts) -%}
    to_date(from_utc_timestamp({{ ts }}, 'UTC'))
{%- endmacro %}

{# percentile() is exact and interpolates, as DuckDB's median() and quantile_cont(). #}
{% macro spark__kol_median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}
{% macro spark__kol_quantile(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__kol_char_length(expr) -%}
    char_length({{ expr }})
{%- endmacro %}

{% macro spark__kol_make_key(platform_expr, id_expr) -%}
    ({{ platform_expr }} || ':' || {{ id_expr }})
{%- endmacro %}

{% macro spark__kol_type_double() -%}
    double
{%- endmacro %}

{% macro spark__kol_ln(expr) -%}
    ln({{ expr }})
{%- endmacro %}

{#
    A regular expression written for RE2 (DuckDB) as a Spark string literal for Java's
    regex engine, with the same meaning:
      - `\b` is an ASCII word boundary in RE2; Java 17's counts any Unicode letter as a word
        character (you好 has no boundary after "you"), so it is spelt out with ASCII lookarounds;
      - ignore_case: RE2's 'i' folds Unicode case, Java's (?i) ASCII only, so (?iu);
      - backslashes doubled and quotes doubled for the literal.
#}
{% macro kol_spark_regex_literal(pattern, ignore_case=false) -%}
    {%- set w = '[A-Za-z0-9_]' -%}
    {%- set boundary = '(?:(?<=' ~ w ~ ')(?!' ~ w ~ ')|(?<!' ~ w ~ ')(?=' ~ w ~ '))' -%}
    {%- set java = ('(?iu)' if ignore_case else '') ~ (pattern | replace('\\b', boundary)) -%}
    {{ return("'" ~ (java | replace('\\', '\\\\') | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro spark__kol_letters_and_digits(expr) -%}
    regexp_replace(lower({{ expr }}), {{ kol_spark_regex_literal('[^\\p{L}\\p{N}]+') }}, '')
{%- endmacro %}

{% macro spark__kol_strip_mentions(expr) -%}
    regexp_replace({{ expr }}, {{ kol_spark_regex_literal('@[\\p{L}\\p{N}_.\\-]+') }}, '')
{%- endmacro %}

{% macro spark__kol_matches_any(text_expr, patterns) -%}
    {%- if patterns is string -%}{%- set patterns = [patterns] -%}{%- endif -%}
    {%- if patterns | length == 0 -%}
        false
    {%- else -%}
    coalesce(
        {%- for pattern in patterns %}
        ({{ text_expr }} rlike {{ kol_spark_regex_literal(pattern, true) }}){{ ' or' if not loop.last }}
        {%- endfor %}
    , false)
    {%- endif -%}
{%- endmacro %}

{# alternation arrives with its quotes doubled for a literal (kol_matches_any_pattern). #}
{% macro spark__kol_matches_any_pattern(expr, alternation) -%}
    ({{ expr }} rlike {{ kol_spark_regex_literal(alternation | replace("''", "'"), true) }})
{%- endmacro %}

{% macro spark__kol_regexp_matches(text_expr, pattern_expr) -%}
    ({{ text_expr }} rlike {{ pattern_expr }})
{%- endmacro %}
