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

    How: linear in the comments, whatever the window's length (joining every account day to
    its window's comments handled each comment window_days times):
      - the text signals are properties of the text alone, computed once per distinct text;
      - the additive counts (comments, generic, mention-only, and the comments whose text
        signals alone are suspicious) are running sums of daily changes: a comment of day c
        adds +1 on c and -1 on c + window_days; distinct commenters likewise, each
        commenter day covering the days until the window loses it or its next comment day;
      - ring and low-quality commenters are rare and hold as of a day: they are judged only
        for candidates (a necessary condition over everything read, marked on the comments
        by window functions), an (account, author) window by running sums again, and each
        flagged author's window corrects the counts of the day (its comments, and suspicious
        comments: with f commenter signals a comment needs min_signals - f text signals).
    Every reference to a CTE is one more read of the comments' view on Spark, which inlines
    them: each relation here is read where it is needed once, not joined back to itself.
    The account's comments are all of its platform (account_key is `platform:account_id`).
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

-- a comment without a day is in no trailing window: it is left out from the start
follower_comments as (

    select
        account_key,
        platform,
        post_key,
        commenter_id,
        commented_date,
        coalesce(comment_text, '') as comment_text

    from {{ ref('int_comment_events') }}
    where {{ kol_in_window('partition_date', lookback) }}
        and is_follower_comment
        and commented_date is not null

),

-- text signals: properties of the text alone, so computed once per distinct text (bots and
-- fans repeat "nice" and "🔥": a few hundred texts for hundreds of thousands of comments)
-- and joined back to the comments by text --------------------------------------------------

distinct_texts as (

    select distinct comment_text
    from follower_comments

),

text_parts as (

    select
        comment_text,
        {{ kol_letters_and_digits('comment_text') }} as text_letters_digits,
        {{ kol_strip_mentions('comment_text') }} as text_without_mentions

    from distinct_texts

),

-- an aggregate over the distinct texts, so that the signals are evaluated once per text: as a
-- plain projection, the warehouse's optimiser moves them past the join below, per comment
text_signals as (

    select
        comment_text,
        max(case when {{ ns.expr }} = '' then 1 else 0 end) = 1 as is_generic_text,
        max(
            case
                when text_without_mentions <> comment_text
                    and {{ kol_letters_and_digits('text_without_mentions') }} = '' then 1
                else 0
            end
        ) = 1 as is_mention_only

    from text_parts
    group by comment_text

),

comment_signals as (

    select
        follower_comments.account_key,
        follower_comments.platform,
        follower_comments.post_key,
        follower_comments.commenter_id,
        follower_comments.commented_date,
        text_signals.is_generic_text,
        text_signals.is_mention_only,
        -- how many of the two text signals hold (0, 1 or 2)
        case when text_signals.is_generic_text then 1 else 0 end
            + case when text_signals.is_mention_only then 1 else 0 end as text_signal_count

    from follower_comments
    inner join text_signals
        on text_signals.comment_text = follower_comments.comment_text

),

-- the additive counts of a trailing window, without joining a day to its window's comments:
-- a comment of day c is in the window of every day D in [c, c + window_days - 1], so it adds
-- +1 on day c and -1 on day c + window_days, and the window's count on D is the running sum
-- of those changes up to D. Each comment is read once, whatever the window's length. The
-- "text-suspicious" comments are those whose text signals alone reach min_signals; the
-- commenter signals (ring, low quality) are added below for the few commenters who have them.

account_comment_days as (

    select
        account_key,
        commented_date,
        count(*) as comments,
        count(case when is_generic_text then 1 end) as generic_text_comments,
        count(case when is_mention_only then 1 end) as mention_only_comments,
        count(case when text_signal_count >= {{ min_signals }} then 1 end) as text_suspicious_comments

    from comment_signals
    group by account_key, commented_date

),

-- distinct commenters: a commenter who commented on days c1 < c2 < ... is in the window of D
-- from c1 through c1 + window_days - 1, or through the day before c2 if that comes first (c2
-- takes over), so each commenter day adds +1 on c and -1 when its cover ends. A null
-- commenter (an unnamed author) is no distinct commenter, as count(distinct) had it.
commenter_days as (

    select distinct
        account_key,
        commenter_id,
        commented_date

    from follower_comments
    where commenter_id is not null

),

commenter_covers as (

    select
        account_key,
        commented_date,
        {{ kol_cover_end('commented_date', 'next_commented_date', window_days) }} as cover_end_date

    from (

        select
            account_key,
            commented_date,
            lead(commented_date) over (
                partition by account_key, commenter_id
                order by commented_date
            ) as next_commented_date

        from commenter_days

    ) as commenter_next_days

),

-- the two ends of a cover: +1 where it starts, -1 where it ends (one read of each relation
-- instead of two: Spark inlines every reference to a CTE, the comments' view with it)
event_signs as (

    select 1 as sign
    union all
    select -1 as sign

),

account_changes as (

    select
        account_comment_days.account_key,
        case
            when event_signs.sign = 1 then account_comment_days.commented_date
            else {{ kol_add_days('account_comment_days.commented_date', window_days) }}
        end as date_day,
        event_signs.sign * account_comment_days.comments as comments,
        event_signs.sign * account_comment_days.generic_text_comments as generic_text_comments,
        event_signs.sign * account_comment_days.mention_only_comments as mention_only_comments,
        event_signs.sign * account_comment_days.text_suspicious_comments as text_suspicious_comments,
        0 as commenters,
        0 as is_snapshot_day

    from account_comment_days
    cross join event_signs

    union all

    select
        commenter_covers.account_key,
        case
            when event_signs.sign = 1 then commenter_covers.commented_date
            else commenter_covers.cover_end_date
        end as date_day,
        0, 0, 0, 0,
        event_signs.sign as commenters,
        0 as is_snapshot_day

    from commenter_covers
    cross join event_signs

    union all

    -- the account days themselves, so that every one gets its running sum
    select account_key, date_day, 0, 0, 0, 0, 0 as commenters, 1 as is_snapshot_day
    from account_days

),

-- one row per account and day before the running sum, so that the sum is exact at each row
account_day_changes as (

    select
        account_key,
        date_day,
        sum(comments) as comments,
        sum(generic_text_comments) as generic_text_comments,
        sum(mention_only_comments) as mention_only_comments,
        sum(text_suspicious_comments) as text_suspicious_comments,
        sum(commenters) as commenters,
        max(is_snapshot_day) as is_snapshot_day

    from account_changes
    group by account_key, date_day

),

account_trailing as (

    select
        account_key,
        date_day,
        is_snapshot_day,
        {%- for column in ['comments', 'generic_text_comments', 'mention_only_comments', 'text_suspicious_comments', 'commenters'] %}
        cast(sum({{ column }}) over (
            partition by account_key
            order by date_day
            rows between unbounded preceding and current row
        ) as bigint) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from account_day_changes

),

-- commenter signals: ring and low quality hold for an author as of a day, so they cannot be
-- counted once per comment; but they are rare, so they are judged for candidate authors only
-- (a necessary condition over everything read), and their comments corrected. The
-- candidates are marked on the comments by window functions rather than joined back to them
-- (Spark inlines every reference to a CTE, the comments' view with it) -------------------

comment_candidacy as (

    select
        *,
        -- distinct accounts of the author on its platform (a null account ranks too: at worst
        -- one more, which only widens the candidates)
        dense_rank() over (
            partition by platform, commenter_id
            order by account_key
        ) as account_rank,
        count(case when is_generic_text or is_mention_only then 1 end) over (
            partition by account_key, platform, commenter_id
        ) as insubstantial_comments,
        -- distinct posts of its comments without substance (the others rank as one more)
        dense_rank() over (
            partition by account_key, platform, commenter_id
            order by case when is_generic_text or is_mention_only then post_key end
        ) as insubstantial_post_rank

    from comment_signals
    where commenter_id is not null

),

-- ring: only a commenter on N accounts of its platform over everything read can be one on a
-- day; low quality: only an author with min_comments comments of no substance on min_posts
-- posts of the account over everything read can be one on a day
comment_candidates as (

    select
        *,
        max(account_rank) over (partition by platform, commenter_id) >= {{ ring_min_accounts }}
            as is_ring_candidate,
        insubstantial_comments >= {{ low_quality_min_comments }}
            and max(insubstantial_post_rank) over (partition by account_key, platform, commenter_id)
                >= {{ low_quality_min_posts }} as is_low_quality_candidate

    from comment_candidacy

),

candidate_comments as (

    select * from comment_candidates
    where is_ring_candidate or is_low_quality_candidate

),

-- ring: as of each day, the candidates on at least N accounts of their platform in the
-- trailing window
snapshot_days as (

    select distinct date_day from account_days

),

ring_commenters as (

    select
        snapshot_days.date_day,
        candidate_comments.platform,
        candidate_comments.commenter_id

    from snapshot_days
    inner join candidate_comments
        on {{ kol_in_trailing_window('candidate_comments.commented_date', 'snapshot_days.date_day', lookback) }}
    where candidate_comments.is_ring_candidate

    group by snapshot_days.date_day, candidate_comments.platform, candidate_comments.commenter_id
    having count(distinct candidate_comments.account_key) >= {{ ring_min_accounts }}

),

-- a candidate (account, author) pair's window, by running sums as for the account: per post
-- and day its comments, and the cover of the post (distinct posts, as distinct commenters).
-- An account's comments are all of its platform (account_key is `platform:account_id`).
candidate_post_days as (

    select
        account_key,
        platform,
        commenter_id,
        post_key,
        commented_date,
        max(case when is_ring_candidate then 1 else 0 end) as is_ring_candidate,
        count(*) as comments,
        count(case when not (is_generic_text or is_mention_only) then 1 end) as substantive_comments,
        count(case when text_signal_count >= 1 then 1 end) as one_text_signal_comments,
        count(case when text_signal_count >= 2 then 1 end) as two_text_signal_comments

    from candidate_comments
    group by account_key, platform, commenter_id, post_key, commented_date

),

candidate_post_covers as (

    select
        *,
        {{ kol_cover_end('commented_date', 'next_commented_date', window_days) }} as cover_end_date

    from (

        select
            candidate_post_days.*,
            lead(commented_date) over (
                partition by account_key, platform, commenter_id, post_key
                order by commented_date
            ) as next_commented_date

        from candidate_post_days

    ) as post_next_days

),

-- each post day: its comments and its post come in on the day (+), its comments leave the
-- window window_days later (-), its post when its cover ends (-; a null post is none)
event_kinds as (

    select 1 as kind
    union all
    select 2 as kind
    union all
    select 3 as kind

),

candidate_changes as (

    select
        candidate_post_covers.account_key,
        candidate_post_covers.platform,
        candidate_post_covers.commenter_id,
        case event_kinds.kind
            when 1 then candidate_post_covers.commented_date
            when 2 then {{ kol_add_days('candidate_post_covers.commented_date', window_days) }}
            else candidate_post_covers.cover_end_date
        end as date_day,
        candidate_post_covers.is_ring_candidate,
        {%- for column in ['comments', 'substantive_comments', 'one_text_signal_comments', 'two_text_signal_comments'] %}
        case event_kinds.kind
            when 1 then candidate_post_covers.{{ column }}
            when 2 then -candidate_post_covers.{{ column }}
            else 0
        end as {{ column }},
        {%- endfor %}
        case
            when candidate_post_covers.post_key is null then 0
            when event_kinds.kind = 1 then 1
            when event_kinds.kind = 3 then -1
            else 0
        end as posts

    from candidate_post_covers
    cross join event_kinds

),

candidate_day_changes as (

    select
        account_key,
        platform,
        commenter_id,
        date_day,
        max(is_ring_candidate) as is_ring_candidate,
        sum(comments) as comments,
        sum(substantive_comments) as substantive_comments,
        sum(one_text_signal_comments) as one_text_signal_comments,
        sum(two_text_signal_comments) as two_text_signal_comments,
        sum(posts) as posts

    from candidate_changes
    group by account_key, platform, commenter_id, date_day

),

-- the pair's window from a change day through the day before its next change: no row per
-- account day, only per change
candidate_windows as (

    select
        account_key,
        platform,
        commenter_id,
        is_ring_candidate,
        date_day as valid_from,
        lead(date_day) over (
            partition by account_key, platform, commenter_id
            order by date_day
        ) as next_change_date,
        {%- for column in ['comments', 'substantive_comments', 'one_text_signal_comments', 'two_text_signal_comments', 'posts'] %}
        sum({{ column }}) over (
            partition by account_key, platform, commenter_id
            order by date_day
            rows between unbounded preceding and current row
        ) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from candidate_day_changes

),

-- the windows that can carry a signal (a ring candidate's, or a low-quality one) on the
-- account days they span; every window with a comment has a next change (its comments leave)
candidate_window_days as (

    select
        account_days.account_key,
        account_days.date_day,
        candidate_windows.platform,
        candidate_windows.commenter_id,
        candidate_windows.comments,
        candidate_windows.one_text_signal_comments,
        candidate_windows.two_text_signal_comments,
        candidate_windows.comments >= {{ low_quality_min_comments }}
            and candidate_windows.posts >= {{ low_quality_min_posts }}
            and candidate_windows.substantive_comments = 0 as is_low_quality_commenter

    from candidate_windows
    inner join account_days
        on account_days.account_key = candidate_windows.account_key
        and account_days.date_day >= candidate_windows.valid_from
        and account_days.date_day < candidate_windows.next_change_date
    where candidate_windows.comments > 0
        and (
            candidate_windows.is_ring_candidate = 1
            or (
                candidate_windows.comments >= {{ low_quality_min_comments }}
                and candidate_windows.posts >= {{ low_quality_min_posts }}
                and candidate_windows.substantive_comments = 0
            )
        )

),

-- the pairs with a commenter signal on an account day, and its comments in the window
flagged_commenters as (

    select
        candidate_window_days.account_key,
        candidate_window_days.date_day,
        candidate_window_days.commenter_id,
        candidate_window_days.comments,
        candidate_window_days.one_text_signal_comments,
        candidate_window_days.two_text_signal_comments,
        ring_commenters.commenter_id is not null as is_ring_commenter,
        candidate_window_days.is_low_quality_commenter

    from candidate_window_days
    left join ring_commenters
        on ring_commenters.date_day = candidate_window_days.date_day
        and ring_commenters.platform = candidate_window_days.platform
        and ring_commenters.commenter_id = candidate_window_days.commenter_id

),

{#- comments whose text signals number at least k: all of them for k <= 0, none for k > 2 -#}
{%- set text_signals_at_least = ['comments', 'one_text_signal_comments', 'two_text_signal_comments', '0', '0'] %}

-- a flagged author's comment has 1 or 2 more signals: it is suspicious when its text signals
-- reach min_signals - flags instead of min_signals (the text-suspicious count holds the latter)
commenter_corrections as (

    select
        account_key,
        date_day,
        count(distinct case when is_ring_commenter then commenter_id end) as ring_commenters_trailing,
        sum(case when is_ring_commenter then comments else 0 end) as ring_commenter_comments,
        count(distinct case when is_low_quality_commenter then commenter_id end) as low_quality_commenters_trailing,
        sum(case when is_low_quality_commenter then comments else 0 end) as low_quality_commenter_comments,
        sum(
            case
                when is_ring_commenter and is_low_quality_commenter
                    then {{ text_signals_at_least[[min_signals - 2, 0] | max] }}
                else {{ text_signals_at_least[[min_signals - 1, 0] | max] }}
            end
            - {{ text_signals_at_least[min_signals] }}
        ) as added_suspicious_comments

    from (

        select * from flagged_commenters
        where is_ring_commenter or is_low_quality_commenter

    ) as flagged

    group by account_key, date_day

),

trailing_authenticity as (

    select
        account_trailing.account_key,
        account_trailing.date_day,
        account_trailing.comments as follower_comments_trailing,
        account_trailing.commenters as commenters_trailing,
        cast(coalesce(commenter_corrections.ring_commenters_trailing, 0) as bigint) as ring_commenters_trailing,
        account_trailing.generic_text_comments,
        account_trailing.mention_only_comments,
        cast(coalesce(commenter_corrections.ring_commenter_comments, 0) as bigint) as ring_commenter_comments,
        cast(coalesce(commenter_corrections.low_quality_commenters_trailing, 0) as bigint)
            as low_quality_commenters_trailing,
        cast(coalesce(commenter_corrections.low_quality_commenter_comments, 0) as bigint)
            as low_quality_commenter_comments,
        cast(account_trailing.text_suspicious_comments
            + coalesce(commenter_corrections.added_suspicious_comments, 0) as bigint) as suspicious_comments

    from account_trailing
    {{- kol_left_join_daily('account_trailing', ['commenter_corrections']) }}
    where account_trailing.is_snapshot_day = 1

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
