{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    Comment authenticity (HypeAuditor): one row per account and snapshot day in
    [min_date, max_date], over the follower comments of the trailing window
    (var comment_authenticity_window_days, the day itself included). A follower comment is
    suspicious only when at least var comment_suspicious_min_signals of its signals hold:
      generic_text    its text, lowercased and stripped of everything but letters and
                      digits, is empty (emoji or punctuation only) or made only of the
                      phrases of var comment_generic_phrases ("wow", "nice", "好", "赞"...);
      mention_only    nothing but @mentions;
      ring_commenter  as of the day, its author commented on at least
                      var comment_ring_min_accounts distinct tracked accounts of the same
                      platform within the trailing window (an engagement pod);
      low_quality_commenter
                      HypeAuditor's low-quality commenter, judged by what the author wrote
                      (comment APIs embed no author profile on most platforms): in the
                      trailing window, the author wrote at least
                      var comment_low_quality_min_comments comments on at least
                      var comment_low_quality_min_posts distinct posts of the account, and
                      not one of them has substance (each is generic_text or mention_only).
                      Bought comments look like this: a few accounts post "nice" and "🔥"
                      under every post; a fan who says "nice" now and then, or who also
                      writes a real sentence, is not one.

    Lookback: the trailing window reads follower comments window_days - 1 days before
    min_date, for the account's comments and for the ring alike (a commenter's accounts are
    counted in the same trailing window), so the whole read is that bounded range.
-#}
{%- set window_days = var('comment_authenticity_window_days') | int -%}
{%- set lookback = window_days - 1 -%}
{%- set ring_min_accounts = var('comment_ring_min_accounts') | int -%}
{%- set min_signals = var('comment_suspicious_min_signals') | int -%}
{%- set normal_max = var('comment_suspicious_share_normal_max') | float -%}
{%- set alarm = var('comment_suspicious_share_alarm') | float -%}
{%- set min_comments = var('comment_authenticity_min_comments') | int -%}
{%- if window_days < 1 -%}
    {{ exceptions.raise_compiler_error("var comment_authenticity_window_days must be at least 1") }}
{%- endif -%}
{%- set low_quality_min_comments = var('comment_low_quality_min_comments') | int -%}
{%- set low_quality_min_posts = var('comment_low_quality_min_posts') | int -%}
{%- if min_signals < 1 or min_signals > 4 -%}
    {{ exceptions.raise_compiler_error("var comment_suspicious_min_signals must be between 1 and 4 (there are four signals)") }}
{%- endif -%}
{%- if low_quality_min_comments < 2 or low_quality_min_posts < 1 or low_quality_min_posts > low_quality_min_comments -%}
    {{ exceptions.raise_compiler_error("var comment_low_quality_min_comments must be at least 2, and comment_low_quality_min_posts between 1 and it") }}
{%- endif -%}
{%- if normal_max > alarm -%}
    {{ exceptions.raise_compiler_error("var comment_suspicious_share_normal_max must not exceed comment_suspicious_share_alarm") }}
{%- endif -%}
{#- generic_text: remove every generic phrase (longest first, so that "great post" goes
    before "great"), each normalised like the text; generic when nothing is left -#}
{%- set phrases = var('comment_generic_phrases') -%}
{%- if phrases is string -%}
    {%- set phrases = [phrases] -%}
{%- endif -%}
{%- set phrases = phrases | map('string') | list -%}
{%- set ns = namespace(expr='text_letters_digits') -%}
{%- if phrases | length > 0 -%}
    {%- for size in range(phrases | map('length') | max, 0, -1) -%}
        {%- for phrase in phrases if phrase | length == size -%}
            {%- set literal = "'" ~ (phrase | replace("'", "''")) ~ "'" -%}
            {%- set ns.expr = 'replace(' ~ ns.expr ~ ', ' ~ kol_letters_and_digits(literal) ~ ", '')" -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

with

account_days as (

    {{ kol_account_days_in_window() }}

),

follower_comments as (

    select
        comment_key,
        account_key,
        platform,
        post_key,
        commenter_id,
        commented_date,
        coalesce(comment_text, '') as comment_text

    from {{ ref('int_comment_events') }}
    where {{ kol_in_window('partition_date', lookback) }}
        and is_follower_comment

),

-- text signals: properties of the comment alone -----------------------------------------

comment_texts as (

    select
        comment_key,
        account_key,
        platform,
        post_key,
        commenter_id,
        commented_date,
        comment_text,
        {{ kol_letters_and_digits('comment_text') }} as text_letters_digits,
        {{ kol_strip_mentions('comment_text') }} as text_without_mentions

    from follower_comments

),

comment_text_signals as (

    select
        comment_key,
        account_key,
        platform,
        post_key,
        commenter_id,
        commented_date,
        {{ ns.expr }} = '' as is_generic_text,
        text_without_mentions <> comment_text
            and {{ kol_letters_and_digits('text_without_mentions') }} = '' as is_mention_only

    from comment_texts

),

-- ring: as of each day, the commenters on at least N accounts of their platform in the
-- trailing window; only a commenter on N accounts over everything read can be one ----------

ring_candidates as (

    select platform, commenter_id
    from follower_comments
    group by platform, commenter_id
    having count(distinct account_key) >= {{ ring_min_accounts }}

),

candidate_account_days as (

    select distinct
        follower_comments.platform,
        follower_comments.commenter_id,
        follower_comments.account_key,
        follower_comments.commented_date

    from follower_comments
    inner join ring_candidates
        on ring_candidates.platform = follower_comments.platform
        and ring_candidates.commenter_id = follower_comments.commenter_id

),

window_days as (

    select distinct date_day from account_days

),

ring_commenters as (

    select
        window_days.date_day,
        candidate_account_days.platform,
        candidate_account_days.commenter_id,
        count(distinct candidate_account_days.account_key) as accounts_commented

    from window_days
    inner join candidate_account_days
        on {{ kol_in_trailing_window('candidate_account_days.commented_date', 'window_days.date_day', lookback) }}

    group by window_days.date_day, candidate_account_days.platform, candidate_account_days.commenter_id
    having count(distinct candidate_account_days.account_key) >= {{ ring_min_accounts }}

),

-- every follower comment of an account day's trailing window, its signals as of that day -

window_comments as (

    select
        account_days.account_key,
        account_days.date_day,
        comment_text_signals.comment_key,
        comment_text_signals.post_key,
        comment_text_signals.commenter_id,
        comment_text_signals.is_generic_text,
        comment_text_signals.is_mention_only,
        ring_commenters.commenter_id is not null as is_ring_commenter

    from account_days
    inner join comment_text_signals
        on comment_text_signals.account_key = account_days.account_key
        and {{ kol_in_trailing_window('comment_text_signals.commented_date', 'account_days.date_day', lookback) }}
    left join ring_commenters
        on ring_commenters.date_day = account_days.date_day
        and ring_commenters.platform = comment_text_signals.platform
        and ring_commenters.commenter_id = comment_text_signals.commenter_id

),

-- low-quality commenters: what each author wrote under the account in the window -------

window_commenters as (

    select
        account_key,
        date_day,
        commenter_id,
        count(*) as comments_written,
        count(distinct post_key) as posts_commented,
        count(case when not (is_generic_text or is_mention_only) then 1 end) as substantive_comments

    from window_comments
    where commenter_id is not null
    group by account_key, date_day, commenter_id

),

low_quality_commenters as (

    select account_key, date_day, commenter_id
    from window_commenters
    where comments_written >= {{ low_quality_min_comments }}
        and posts_commented >= {{ low_quality_min_posts }}
        and substantive_comments = 0

),

window_comments_judged as (

    select
        window_comments.*,
        low_quality_commenters.commenter_id is not null as is_low_quality_commenter

    from window_comments
    left join low_quality_commenters
        on low_quality_commenters.account_key = window_comments.account_key
        and low_quality_commenters.date_day = window_comments.date_day
        and low_quality_commenters.commenter_id = window_comments.commenter_id

),

window_comments_counted as (

    select
        *,
        case when is_generic_text then 1 else 0 end
            + case when is_mention_only then 1 else 0 end
            + case when is_ring_commenter then 1 else 0 end
            + case when is_low_quality_commenter then 1 else 0 end
            >= {{ min_signals }} as is_suspicious

    from window_comments_judged

),

trailing_authenticity as (

    select
        account_key,
        date_day,
        count(*) as follower_comments_trailing,
        count(distinct commenter_id) as commenters_trailing,
        count(distinct case when is_ring_commenter then commenter_id end) as ring_commenters_trailing,
        count(case when is_generic_text then 1 end) as generic_text_comments,
        count(case when is_mention_only then 1 end) as mention_only_comments,
        count(case when is_ring_commenter then 1 end) as ring_commenter_comments,
        count(distinct case when is_low_quality_commenter then commenter_id end) as low_quality_commenters_trailing,
        count(case when is_low_quality_commenter then 1 end) as low_quality_commenter_comments,
        count(case when is_suspicious then 1 end) as suspicious_comments

    from window_comments_counted
    group by account_key, date_day

),

scored as (

    select
        account_days.account_key,
        account_days.platform,
        account_days.region,
        account_days.account_id,
        account_days.date_day,
        coalesce(trailing_authenticity.follower_comments_trailing, 0) as follower_comments_trailing,
        coalesce(trailing_authenticity.commenters_trailing, 0) as commenters_trailing,
        coalesce(trailing_authenticity.ring_commenters_trailing, 0) as ring_commenters_trailing,
        coalesce(trailing_authenticity.generic_text_comments, 0) as generic_text_comments,
        {{ kol_safe_divide('trailing_authenticity.generic_text_comments', 'trailing_authenticity.follower_comments_trailing') }}
            as generic_text_share,
        coalesce(trailing_authenticity.mention_only_comments, 0) as mention_only_comments,
        {{ kol_safe_divide('trailing_authenticity.mention_only_comments', 'trailing_authenticity.follower_comments_trailing') }}
            as mention_only_share,
        coalesce(trailing_authenticity.ring_commenter_comments, 0) as ring_commenter_comments,
        {{ kol_safe_divide('trailing_authenticity.ring_commenter_comments', 'trailing_authenticity.follower_comments_trailing') }}
            as ring_commenter_share,
        coalesce(trailing_authenticity.low_quality_commenters_trailing, 0) as low_quality_commenters_trailing,
        coalesce(trailing_authenticity.low_quality_commenter_comments, 0) as low_quality_commenter_comments,
        {{ kol_safe_divide('trailing_authenticity.low_quality_commenter_comments', 'trailing_authenticity.follower_comments_trailing') }}
            as low_quality_commenter_share,
        coalesce(trailing_authenticity.suspicious_comments, 0) as suspicious_comments,
        {{ kol_safe_divide('trailing_authenticity.suspicious_comments', 'trailing_authenticity.follower_comments_trailing') }}
            as suspicious_comment_share

    from account_days
    {{- kol_left_join_daily('account_days', ['trailing_authenticity']) }}

),

final as (

    select
        *,
        case
            when follower_comments_trailing < {{ min_comments }} or suspicious_comment_share is null then null
            when suspicious_comment_share >= {{ alarm }} then 'alarm'
            when suspicious_comment_share <= {{ normal_max }} then 'normal'
            else 'elevated'
        end as comment_authenticity_verdict

    from scored

)

select * from final
