{#-
    Joins of the daily marts: per-account aggregates attached to a spine of account days,
    and trailing windows of days ending on (or before) a spine day.
-#}

{#
    `left join` each of `relations` to `spine` on the same account and day, so that every
    spine row stays, with nulls where a relation has nothing for its account and day.
    Every relation and the spine carry `key_column` and `day_column` under those names.
#}
{% macro kol_left_join_daily(spine, relations, day_column='date_day', key_column='account_key') -%}
    {%- for relation in relations %}
    left join {{ relation }}
        on {{ relation }}.{{ key_column }} = {{ spine }}.{{ key_column }}
        and {{ relation }}.{{ day_column }} = {{ spine }}.{{ day_column }}
    {%- endfor %}
{%- endmacro %}

{#
    `day_expr` falls in the trailing window of `as_of_day`: from `days_back` days before it
    through `through_days_back` days before it (0: the day itself), both inclusive.
#}
{% macro kol_in_trailing_window(day_expr, as_of_day, days_back, through_days_back=0) -%}
    {%- set window_end = as_of_day if (through_days_back | int) == 0
        else kol_add_days(as_of_day, -(through_days_back | int)) -%}
    {{ day_expr }} between {{ kol_add_days(as_of_day, -(days_back | int)) }} and {{ window_end }}
{%- endmacro %}

{#
    The spine of the daily marts: one row per account and snapshot day of the window
    [min_date, max_date], with the account's platform, region and id (the body of a CTE).
#}
{% macro kol_account_days_in_window() -%}
    select
        account_key,
        platform,
        region,
        account_id,
        snapshot_date as date_day

    from {{ ref('int_account_snapshots') }}
    where {{ kol_in_window('partition_date') }}
{%- endmacro %}
