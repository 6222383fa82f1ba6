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
    The follower comments of each account day's trailing window, as known at the end of
    that day, over a relation (CTE) `account_days` (account_key, date_day) and a relation
    `comment_events` of int_comment_events rows read back `lookback_days` before the
    partition window. Rendered as CTEs, without a trailing comma:
      trailing_follower_comments   one row per account day and follower comment written in
                                   the lookback_days days before it or on it, landed by its
                                   end: comment_key, commenter_id, commented_at,
                                   commented_date (for a shorter window of the same
                                   rows), addresses_creator, and, from the KOL's replies to it
                                   landed by then, creator_replies (0 without),
                                   first_reply_at and reply_latency_seconds;
      trailing_unknown_authors     per account day, the comments of the same window whose
                                   author the platform hides (TikTok): who talks and who
                                   listens is then unknown, so the marts report null.
    "Known at the end of the day" is "landed by then" (partition_date <= date_day): a
    comment written late in a UTC day and landed the next one counts from that next day,
    and a window built alone equals the same days of a full build.
-#}
{% macro kol_trailing_follower_comment_ctes(account_days, comment_events, lookback_days) -%}
known_follower_comments as (

    select
        comment_key,
        account_key,
        commenter_id,
        commented_at,
        commented_date,
        addresses_creator,
        partition_date

    from {{ comment_events }}
    where is_follower_comment

),

-- a reply counts only when it answers a follower comment on the same account
creator_replies_to_followers as (

    select
        known_follower_comments.comment_key,
        creator_replies.commented_at as replied_at,
        creator_replies.partition_date as reply_partition_date

    from {{ comment_events }} as creator_replies
    inner join known_follower_comments
        on known_follower_comments.comment_key = creator_replies.parent_comment_key
        and known_follower_comments.account_key = creator_replies.account_key
    where creator_replies.is_creator_reply

),

trailing_comments as (

    select
        {{ account_days }}.account_key,
        {{ account_days }}.date_day,
        known_follower_comments.comment_key,
        known_follower_comments.commenter_id,
        known_follower_comments.commented_at,
        known_follower_comments.commented_date,
        known_follower_comments.addresses_creator

    from {{ account_days }}
    inner join known_follower_comments
        on known_follower_comments.account_key = {{ account_days }}.account_key
        and {{ kol_in_trailing_window('known_follower_comments.commented_date', account_days ~ '.date_day', lookback_days) }}
        and known_follower_comments.partition_date <= {{ account_days }}.date_day

),

trailing_replies as (

    select
        trailing_comments.account_key,
        trailing_comments.date_day,
        trailing_comments.comment_key,
        count(*) as creator_replies,
        min(creator_replies_to_followers.replied_at) as first_reply_at

    from trailing_comments
    inner join creator_replies_to_followers
        on creator_replies_to_followers.comment_key = trailing_comments.comment_key
        and creator_replies_to_followers.reply_partition_date <= trailing_comments.date_day

    group by trailing_comments.account_key, trailing_comments.date_day, trailing_comments.comment_key

),

trailing_follower_comments as (

    select
        trailing_comments.*,
        coalesce(trailing_replies.creator_replies, 0) as creator_replies,
        trailing_replies.first_reply_at,
        {{ kol_seconds_between('trailing_comments.commented_at', 'trailing_replies.first_reply_at') }}
            as reply_latency_seconds

    from trailing_comments
    left join trailing_replies
        on trailing_replies.account_key = trailing_comments.account_key
        and trailing_replies.date_day = trailing_comments.date_day
        and trailing_replies.comment_key = trailing_comments.comment_key

),

trailing_unknown_authors as (

    select
        {{ account_days }}.account_key,
        {{ account_days }}.date_day,
        count(*) as unknown_author_comments

    from {{ account_days }}
    inner join {{ comment_events }} as unknown_author_comments
        on unknown_author_comments.account_key = {{ account_days }}.account_key
        and {{ kol_in_trailing_window('unknown_author_comments.commented_date', account_days ~ '.date_day', lookback_days) }}
        and unknown_author_comments.partition_date <= {{ account_days }}.date_day
    where unknown_author_comments.is_follower_comment is null

    group by {{ account_days }}.account_key, {{ account_days }}.date_day

)
{%- endmacro %}
