{#-
    Trailing windows in linear time. A row that counts for the account days D of an
    interval [counted_from, counted_through] (a comment counts from the day it is written
    and landed through the last day of its window) adds its measures at counted_from and
    takes them back the day after counted_through; the measures of a day are then the
    running sum of those changes up to it. Each row is handled twice, whatever the window's
    length, where joining every account day to the rows of its window handles each row as
    many times as the window has days. Sums only (counts, exact decimal sums): a median or
    a distinct count is no sum of changes.
-#}

{#
    CTEs (no trailing comma) ending in `name`: one row per row of `spine` (account_key,
    date_day), with, for each of `measures`, the sum of that column over the rows of `spans`
    whose [counted_from, counted_through] holds the day; null when no span has reached the
    account yet (coalesce it). `spans` carries account_key, counted_from, counted_through
    (dates; a span with counted_from > counted_through counts nowhere) and the measures
    (numbers, exact: integers or decimals, so that adding and taking back gives 0 exactly).
#}
{% macro kol_trailing_sums_ctes(name, spine, spans, measures) -%}
{{ name }}_changes as (

    -- a span's measures come in on its first day and go out the day after its last
    select
        account_key,
        counted_from as date_day
        {%- for measure in measures %},
        {{ measure }}
        {%- endfor %}

    from {{ spans }}
    where counted_from <= counted_through

    union all

    select
        account_key,
        {{ kol_add_days('counted_through', 1) }} as date_day
        {%- for measure in measures %},
        -{{ measure }} as {{ measure }}
        {%- endfor %}

    from {{ spans }}
    where counted_from <= counted_through

),

{{ kol_running_sums_ctes(name, spine, name ~ '_changes', measures) }}
{%- endmacro %}

{#
    CTEs (no trailing comma) ending in `name`: one row per row of `spine` (account_key,
    date_day), with, for each of `measures`, the sum of that column over the rows of
    `changes` (account_key, date_day, the measures) of the account on that day or before
    it; null when the account has no change yet (coalesce it). Written for every engine: a
    running sum over a ROWS frame, no interval arithmetic.
#}
{% macro kol_running_sums_ctes(name, spine, changes, measures) -%}
{{ name }}_daily_changes as (

    select
        account_key,
        date_day,
        max(on_spine) as on_spine
        {%- for measure in measures %},
        sum({{ measure }}) as {{ measure }}
        {%- endfor %}

    from (

        select
            account_key,
            date_day,
            0 as on_spine
            {%- for measure in measures %},
            {{ measure }}
            {%- endfor %}

        from {{ changes }}

        union all

        -- the spine's days, so that a day without a change still gets its running sums
        select
            account_key,
            date_day,
            1 as on_spine
            {%- for measure in measures %},
            null as {{ measure }}
            {%- endfor %}

        from {{ spine }}

    ) as changes_and_days
    group by account_key, date_day

),

{{ name }}_running as (

    select
        account_key,
        date_day,
        on_spine
        {%- for measure in measures %},
        sum({{ measure }}) over (
            partition by account_key order by date_day
            rows between unbounded preceding and current row
        ) as {{ measure }}
        {%- endfor %}

    from {{ name }}_daily_changes

),

{{ name }} as (

    select
        account_key,
        date_day
        {%- for measure in measures %},
        {{ measure }}
        {%- endfor %}

    from {{ name }}_running
    where on_spine = 1

)
{%- endmacro %}

{#
    Where a member's cover ends (exclusive): the member's next day, or `days` after its day if
    that comes first. A member (a commenter, a post) counted from `day_expr` stays counted
    until then, so each day of the window counts it once, however often it recurs.
#}
{% macro kol_cover_end(day_expr, next_day_expr, days) -%}
case
            when {{ next_day_expr }} is not null
                and {{ next_day_expr }} < {{ kol_add_days(day_expr, days) }}
                then {{ next_day_expr }}
            else {{ kol_add_days(day_expr, days) }}
        end
{%- endmacro %}
