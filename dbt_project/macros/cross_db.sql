{#-
    Portability layer. Every function whose spelling differs between warehouses goes
    through adapter.dispatch: `duckdb__` is what runs here, `default__` is the ANSI-ish
    fallback (mostly via dbt's own cross-database macros) for another adapter to start from.
-#}

{# A day as a SQL date literal, from a 'YYYY-MM-DD' string. #}
{% macro kol_date_literal(iso_date) -%}
    {{ return(adapter.dispatch('kol_date_literal', 'kol_warehouse')(iso_date)) }}
{%- endmacro %}
{% macro default__kol_date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}
{% macro duckdb__kol_date_literal(iso_date) -%}
    date '{{ iso_date }}'
{%- endmacro %}

{# date_expr plus `days` days (negative to go back), as a date. #}
{% macro kol_add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('kol_add_days', 'kol_warehouse')(date_expr, days)) }}
{%- endmacro %}
{% macro default__kol_add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}
{% macro duckdb__kol_add_days(date_expr, days) -%}
    (cast({{ date_expr }} as date) + cast({{ days }} as integer))
{%- endmacro %}

{# Whole days from start_date to end_date (end minus start). #}
{% macro kol_days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('kol_days_between', 'kol_warehouse')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__kol_days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
{% macro duckdb__kol_days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{# Whole seconds from start_ts to end_ts. #}
{% macro kol_seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('kol_seconds_between', 'kol_warehouse')(start_ts, end_ts)) }}
{%- endmacro %}
{% macro default__kol_seconds_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'second') }}
{%- endmacro %}
{% macro duckdb__kol_seconds_between(start_ts, end_ts) -%}
    date_diff('second', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}

{# The UTC calendar day of a timestamp with time zone, whatever the session time zone. #}
{% macro kol_utc_date(ts) -%}
    {{ return(adapter.dispatch('kol_utc_date', 'kol_warehouse')(ts)) }}
{%- endmacro %}
{% macro default__kol_utc_date(ts) -%}
    cast({{ ts }} as date)
{%- endmacro %}
{% macro duckdb__kol_utc_date(ts) -%}
    cast(timezone('UTC', {{ ts }}) as date)
{%- endmacro %}

{# Median of a numeric expression (an aggregate). #}
{% macro kol_median(expr) -%}
    {{ return(adapter.dispatch('kol_median', 'kol_warehouse')(expr)) }}
{%- endmacro %}
{% macro default__kol_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}
{% macro duckdb__kol_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{# expr bounded to [low, high]; null stays null. #}
{% macro kol_clamp(expr, low, high) -%}
    {{ return(adapter.dispatch('kol_clamp', 'kol_warehouse')(expr, low, high)) }}
{%- endmacro %}
{% macro default__kol_clamp(expr, low, high) -%}
    case
        when {{ expr }} is null then null
        when {{ expr }} < {{ low }} then {{ low }}
        when {{ expr }} > {{ high }} then {{ high }}
        else {{ expr }}
    end
{%- endmacro %}
{# No engine-specific version: DuckDB's least() and greatest() skip nulls, which would turn
   an unknown value into a bound. #}

{# Number of characters (not bytes) of a string: Chinese bios count one per character. #}
{% macro kol_char_length(expr) -%}
    {{ return(adapter.dispatch('kol_char_length', 'kol_warehouse')(expr)) }}
{%- endmacro %}
{% macro default__kol_char_length(expr) -%}
    char_length({{ expr }})
{%- endmacro %}
{% macro duckdb__kol_char_length(expr) -%}
    length({{ expr }})
{%- endmacro %}

{# numerator / denominator as a float, null when the denominator is 0 or null. #}
{% macro kol_safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('kol_safe_divide', 'kol_warehouse')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__kol_safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ kol_type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{# The cross-platform key `platform:id`. #}
{% macro kol_make_key(platform_expr, id_expr) -%}
    {{ return(adapter.dispatch('kol_make_key', 'kol_warehouse')(platform_expr, id_expr)) }}
{%- endmacro %}
{% macro default__kol_make_key(platform_expr, id_expr) -%}
    {{ dbt.concat([platform_expr, "':'", id_expr]) }}
{%- endmacro %}
{% macro duckdb__kol_make_key(platform_expr, id_expr) -%}
    ({{ platform_expr }} || ':' || {{ id_expr }})
{%- endmacro %}

{# The double-precision float type name. #}
{% macro kol_type_double() -%}
    {{ return(adapter.dispatch('kol_type_double', 'kol_warehouse')()) }}
{%- endmacro %}
{% macro default__kol_type_double() -%}
    double precision
{%- endmacro %}
{% macro duckdb__kol_type_double() -%}
    double
{%- endmacro %}

{#
    The q-th quantile (0 <= q <= 1) of a numeric expression, as an aggregate: continuous
    (linear interpolation between the two nearest values, so q = 0.5 is the median). Nulls
    are ignored; null when the group has no non-null value.
#}
{% macro kol_quantile(expr, q) -%}
    {{ return(adapter.dispatch('kol_quantile', 'kol_warehouse')(expr, q)) }}
{%- endmacro %}
{% macro default__kol_quantile(expr, q) -%}
    percentile_cont({{ q }}) within group (order by {{ expr }})
{%- endmacro %}
{% macro duckdb__kol_quantile(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}

{#
    A text lowercased, with only its letters and digits kept (Unicode letters: a Chinese
    character is a letter), e.g. 'Nice!! 😍' -> 'nice', '赞 赞!' -> '赞赞'; '' when the text
    holds no letter or digit (emoji, punctuation or spaces only). Null stays null.
#}
{% macro kol_letters_and_digits(expr) -%}
    {{ return(adapter.dispatch('kol_letters_and_digits', 'kol_warehouse')(expr)) }}
{%- endmacro %}
{% macro default__kol_letters_and_digits(expr) -%}
    {#- POSIX class (Unicode-aware under a UTF-8 database); 'g' replaces every match in
        Postgres, other engines spell "all matches" their own way -#}
    regexp_replace(lower({{ expr }}), '[^[:alnum:]]+', '', 'g')
{%- endmacro %}
{% macro duckdb__kol_letters_and_digits(expr) -%}
    regexp_replace(lower({{ expr }}), '[^\p{L}\p{N}]+', '', 'g')
{%- endmacro %}

{#
    A text with its @mentions removed: an '@' followed by a handle's characters (letters,
    digits, '_', '.', '-'; Chinese handles included), e.g. '@alice_1 @小鹿 wow' -> '  wow'.
    Null stays null.
#}
{% macro kol_strip_mentions(expr) -%}
    {{ return(adapter.dispatch('kol_strip_mentions', 'kol_warehouse')(expr)) }}
{%- endmacro %}
{% macro default__kol_strip_mentions(expr) -%}
    regexp_replace({{ expr }}, '@[[:alnum:]_.-]+', '', 'g')
{%- endmacro %}
{% macro duckdb__kol_strip_mentions(expr) -%}
    regexp_replace({{ expr }}, '@[\p{L}\p{N}_.\-]+', '', 'g')
{%- endmacro %}

{# The type of an instant (a timestamp with time zone, UTC in this warehouse). #}
{% macro kol_type_timestamp_tz() -%}
    {{ return(adapter.dispatch('kol_type_timestamp_tz', 'kol_warehouse')()) }}
{%- endmacro %}
{% macro default__kol_type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}
{# Spark's TIMESTAMP is an instant (TIMESTAMP_LTZ), shown in spark.sql.session.timeZone (UTC). #}
{% macro spark__kol_type_timestamp_tz() -%}
    timestamp
{%- endmacro %}
