{#-
    Macros of the interactions area: text patterns of the reciprocity mart, and the
    validation of the interactions vars.
-#}

{#
    Whether a text matches at least one of `patterns` (regular expressions), ignoring case;
    null stays null. The patterns are joined into one alternation, so the engine scans the
    text once. `\b` is a word boundary in every pattern.
#}
{% macro kol_matches_any_pattern(expr, patterns) -%}
    {%- if patterns is string -%}
        {%- set patterns = [patterns] -%}
    {%- endif -%}
    {%- if patterns | length == 0 -%}
        {{ exceptions.raise_compiler_error("kol_matches_any_pattern needs at least one pattern") }}
    {%- endif -%}
    {%- set alternation = '(?:' ~ (patterns | join(')|(?:')) ~ ')' -%}
    {{ return(adapter.dispatch('kol_matches_any_pattern', 'kol_warehouse')(expr, alternation | replace("'", "''"))) }}
{%- endmacro %}
{% macro default__kol_matches_any_pattern(expr, alternation) -%}
    {#- Postgres ARE, case-insensitive (~*); its word boundary is \y, where \b is a backspace -#}
    ({{ expr }} ~* '{{ alternation | replace("\\b", "\\y") }}')
{%- endmacro %}
{% macro duckdb__kol_matches_any_pattern(expr, alternation) -%}
    {#- RE2; the 'i' option ignores case, \b is an ASCII word boundary (a Chinese character
        is no word character, so 你 needs none) -#}
    regexp_matches({{ expr }}, '{{ alternation }}', 'i')
{%- endmacro %}

{#
    Whether a comment's text addresses the KOL directly, in the second person (var
    direct_address_patterns: "you", "your", "u", 你, 您...). Thelwall et al. 2022 take the
    share of comments that address the creator as "you" as an indicator of parasocial
    interaction. Null when the text is null.
#}
{% macro kol_addresses_creator(text_expr) -%}
    {{ kol_matches_any_pattern(text_expr, var('direct_address_patterns')) }}
{%- endmacro %}

{# A var holding a whole number of days, at least `minimum`, as an int. #}
{% macro kol_days_var(name, minimum=1) -%}
    {%- set raw = var(name) -%}
    {%- set days = raw | int(-1) -%}
    {%- if (raw | string) != (days | string) or days < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number of days >= " ~ minimum ~ ", got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}

{#
    The follower growth windows (var follower_growth_windows_days) as a sorted list of
    distinct ints, each at least 1 day.
#}
{% macro kol_follower_growth_windows() -%}
    {%- set raw = var('follower_growth_windows_days') -%}
    {%- if raw is string or raw is number -%}
        {%- set raw = [raw] -%}
    {%- endif -%}
    {%- set windows = [] -%}
    {%- for value in raw -%}
        {%- set days = value | int(-1) -%}
        {%- if (value | string) != (days | string) or days < 1 -%}
            {{ exceptions.raise_compiler_error("var follower_growth_windows_days must list whole numbers of days >= 1, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- if days not in windows -%}
            {%- do windows.append(days) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(windows | sort) }}
{%- endmacro %}

{#-
    The follower conversation of each account day's trailing window, as known at the end of
    that day, over a relation (CTE) `account_days` (account_key, date_day) and a relation
    `comment_events` of int_comment_events rows read back the longest lookback before the
    partition window. Rendered as CTEs, without a trailing comma, each with one row per
    account day of `account_days`:
      trailing_conversation        over the follower comments written in the
                                   `conversation_lookback` days before the day or on it and
                                   landed by its end: follower_comments,
                                   follower_comments_replied (with a reply of the KOL landed
                                   by then), creator_replies (those replies),
                                   median_reply_latency_seconds (comment to its earliest
                                   reply landed by then, over the replied comments),
                                   follower_comments_with_text and direct_address_comments
                                   (addresses_creator known, true); counts are 0 without
                                   comments, the median null;
      trailing_commenters          (when `commenter_lookback` is given) over the follower
                                   comments written in the `commenter_lookback` days before
                                   the day or on it, landed:
                                   unique_commenters_trailing and repeat_commenters_trailing
                                   (commenters with at least var repeat_commenter_min_comments
                                   of them);
      trailing_unknown_authors     unknown_author_comments, the comments written in the
                                   `unknown_lookback` days before the day or on it (default
                                   `conversation_lookback`), landed, whose author the platform hides (TikTok): who
                                   talks and who listens is then unknown, so the marts report
                                   null where it is > 0.
    "Known at the end of the day" is "landed by then" (partition_date <= date_day): a
    comment written late in a UTC day and landed the next one counts from that next day,
    and a window built alone equals the same days of a full build.

    Linear in the comments (kol_trailing_sums_ctes): a follower comment with commented_date
    c and partition_date p counts for the days [greatest(c, p), c + lookback]; it is
    replied from the day its first reply lands (greatest(c, p, that landing)); each reply
    counts for [greatest(c, p, its landing), c + lookback]. A commenter is counted on the
    days where at least 1 (or N) of its comments count: per account and commenter, the
    number of its comments counting is a step function of the day (a running sum of the
    comments' changes), and the account's count changes by +1 / -1 on the days that
    number crosses 1 (N) upward / downward. A median is no sum: the replied comments alone
    (a third of the comments in the `large` preset) are joined to the days they count for, each with its latency as of that
    day (the earliest reply landed by then, which an earlier-written reply landed later
    can lower: one span per landing day of the comment's replies).
-#}
{% macro kol_trailing_follower_comment_ctes(account_days, comment_events, conversation_lookback,
        commenter_lookback=none, unknown_lookback=none) -%}
{%- set unknown_lookback = conversation_lookback if unknown_lookback is none else unknown_lookback -%}
known_follower_comments as (

    select
        comment_key,
        account_key,
        commenter_id,
        commented_at,
        commented_date,
        addresses_creator,
        partition_date,
        -- the first day the comment is known: written and landed
        greatest(commented_date, partition_date) as known_from

    from {{ comment_events }}
    where is_follower_comment
        and commented_date is not null
        and partition_date is not null

),

-- a reply counts only when it answers a follower comment on the same account
creator_replies_to_followers as (

    select
        known_follower_comments.comment_key,
        known_follower_comments.account_key,
        known_follower_comments.commented_at,
        known_follower_comments.commented_date,
        known_follower_comments.known_from,
        creator_replies.commented_at as replied_at,
        creator_replies.partition_date as reply_partition_date

    from {{ comment_events }} as creator_replies
    inner join known_follower_comments
        on known_follower_comments.comment_key = creator_replies.parent_comment_key
        and known_follower_comments.account_key = creator_replies.account_key
    where creator_replies.is_creator_reply
        and creator_replies.partition_date is not null

),

-- per replied comment and landing day of its replies: the earliest reply landed by then
-- (an earlier-written reply landed later lowers it), valid until the next landing day
reply_landings as (

    select
        comment_key,
        account_key,
        commented_at,
        commented_date,
        known_from,
        reply_partition_date as landed_date,
        min(replied_at) as first_reply_at_landed

    from creator_replies_to_followers
    group by comment_key, account_key, commented_at, commented_date, known_from, reply_partition_date

),

first_replies_as_landed as (

    select
        comment_key,
        account_key,
        commented_at,
        commented_date,
        known_from,
        landed_date,
        min(first_reply_at_landed) over (
            partition by comment_key order by landed_date
            rows between unbounded preceding and current row
        ) as first_reply_at,
        lead(landed_date) over (partition by comment_key order by landed_date) as next_landed_date,
        row_number() over (partition by comment_key order by landed_date) as landing_rank

    from reply_landings

),

-- conversation ------------------------------------------------------------------------

conversation_spans as (

    -- each follower comment
    select
        account_key,
        known_from as counted_from,
        {{ kol_add_days('commented_date', conversation_lookback) }} as counted_through,
        1 as follower_comments,
        0 as follower_comments_replied,
        0 as creator_replies,
        case when addresses_creator is not null then 1 else 0 end as follower_comments_with_text,
        case when addresses_creator then 1 else 0 end as direct_address_comments

    from known_follower_comments

    union all

    -- each replied comment, from the landing of its first reply
    select
        account_key,
        greatest(known_from, landed_date) as counted_from,
        {{ kol_add_days('commented_date', conversation_lookback) }} as counted_through,
        0 as follower_comments,
        1 as follower_comments_replied,
        0 as creator_replies,
        0 as follower_comments_with_text,
        0 as direct_address_comments

    from first_replies_as_landed
    where landing_rank = 1

    union all

    -- each reply, from its landing
    select
        account_key,
        greatest(known_from, reply_partition_date) as counted_from,
        {{ kol_add_days('commented_date', conversation_lookback) }} as counted_through,
        0 as follower_comments,
        0 as follower_comments_replied,
        1 as creator_replies,
        0 as follower_comments_with_text,
        0 as direct_address_comments

    from creator_replies_to_followers

),

{{ kol_trailing_sums_ctes('conversation_sums', account_days, 'conversation_spans', [
    'follower_comments', 'follower_comments_replied', 'creator_replies',
    'follower_comments_with_text', 'direct_address_comments']) }},

-- the replied comments joined to the days they count for (a median is no running sum),
-- one span per landing day of their replies, with the latency as of those days
reply_latency_spans as (

    select
        account_key,
        greatest(known_from, landed_date) as counted_from,
        case
            when next_landed_date is not null
                and next_landed_date <= {{ kol_add_days('commented_date', conversation_lookback) }}
                then {{ kol_add_days('next_landed_date', -1) }}
            else {{ kol_add_days('commented_date', conversation_lookback) }}
        end as counted_through,
        {{ kol_seconds_between('commented_at', 'first_reply_at') }} as reply_latency_seconds

    from first_replies_as_landed

),

reply_latencies as (

    select
        {{ account_days }}.account_key,
        {{ account_days }}.date_day,
        {{ kol_median('reply_latency_spans.reply_latency_seconds') }} as median_reply_latency_seconds

    from {{ account_days }}
    inner join reply_latency_spans
        on reply_latency_spans.account_key = {{ account_days }}.account_key
        and {{ account_days }}.date_day between reply_latency_spans.counted_from and reply_latency_spans.counted_through
    group by {{ account_days }}.account_key, {{ account_days }}.date_day

),

trailing_conversation as (

    select
        conversation_sums.account_key,
        conversation_sums.date_day,
        cast(coalesce(conversation_sums.follower_comments, 0) as {{ dbt.type_bigint() }}) as follower_comments,
        cast(coalesce(conversation_sums.follower_comments_replied, 0) as {{ dbt.type_bigint() }})
            as follower_comments_replied,
        cast(coalesce(conversation_sums.creator_replies, 0) as {{ dbt.type_bigint() }}) as creator_replies,
        reply_latencies.median_reply_latency_seconds,
        cast(coalesce(conversation_sums.follower_comments_with_text, 0) as {{ dbt.type_bigint() }})
            as follower_comments_with_text,
        cast(coalesce(conversation_sums.direct_address_comments, 0) as {{ dbt.type_bigint() }})
            as direct_address_comments

    from conversation_sums
    {{- kol_left_join_daily('conversation_sums', ['reply_latencies']) }}

),
{%- if commenter_lookback is not none %}
{%- set min_comments = var('repeat_commenter_min_comments') | int %}

-- commenters ---------------------------------------------------------------------------

-- per account and commenter, the change of the number of its comments counting, by day
commenter_changes as (

    select
        account_key,
        commenter_id,
        date_day,
        sum(comments_change) as comments_change

    from (

        select account_key, commenter_id, known_from as date_day, 1 as comments_change
        from known_follower_comments
        where known_from <= {{ kol_add_days('commented_date', commenter_lookback) }}

        union all

        select
            account_key,
            commenter_id,
            {{ kol_add_days('commented_date', commenter_lookback + 1) }} as date_day,
            -1 as comments_change
        from known_follower_comments
        where known_from <= {{ kol_add_days('commented_date', commenter_lookback) }}

    ) as comment_changes
    group by account_key, commenter_id, date_day

),

commenter_coverage as (

    select
        account_key,
        commenter_id,
        date_day,
        sum(comments_change) over (
            partition by account_key, commenter_id order by date_day
            rows between unbounded preceding and current row
        ) as comments_counting

    from commenter_changes

),

-- the account's commenters change by +1 / -1 on the days a commenter's comments counting
-- cross 1 (N, for a repeat commenter) upward / downward
commenter_crossings as (

    select
        account_key,
        date_day,
        (case when comments_counting >= 1 then 1 else 0 end)
            - (case when coalesce(previously_counting, 0) >= 1 then 1 else 0 end)
            as unique_commenters_trailing,
        (case when comments_counting >= {{ min_comments }} then 1 else 0 end)
            - (case when coalesce(previously_counting, 0) >= {{ min_comments }} then 1 else 0 end)
            as repeat_commenters_trailing

    from (

        select
            commenter_coverage.*,
            lag(comments_counting) over (
                partition by account_key, commenter_id order by date_day
            ) as previously_counting

        from commenter_coverage

    ) as coverage_steps

),

{{ kol_running_sums_ctes('commenter_sums', account_days, 'commenter_crossings', [
    'unique_commenters_trailing', 'repeat_commenters_trailing']) }},

trailing_commenters as (

    select
        account_key,
        date_day,
        cast(coalesce(unique_commenters_trailing, 0) as {{ dbt.type_bigint() }}) as unique_commenters_trailing,
        cast(coalesce(repeat_commenters_trailing, 0) as {{ dbt.type_bigint() }}) as repeat_commenters_trailing

    from commenter_sums

),
{%- endif %}

-- authors unknown ----------------------------------------------------------------------

unknown_author_spans as (

    select
        account_key,
        greatest(commented_date, partition_date) as counted_from,
        {{ kol_add_days('commented_date', unknown_lookback) }} as counted_through,
        1 as unknown_author_comments

    from {{ comment_events }}
    where is_follower_comment is null
        and commented_date is not null
        and partition_date is not null

),

{{ kol_trailing_sums_ctes('unknown_author_sums', account_days, 'unknown_author_spans', ['unknown_author_comments']) }},

trailing_unknown_authors as (

    select
        account_key,
        date_day,
        coalesce(unknown_author_comments, 0) as unknown_author_comments

    from unknown_author_sums

)
{%- endmacro %}
