-- Question: who is "talking and listening": which KOLs post, and also answer their followers,
-- and how fast?
--
-- How to read the answer: one row per KOL with enough follower comments in the trailing
-- window (`min_follower_comments`) to judge, on the as-of day. Talking is `posts_in_window`,
-- the posts published in the reciprocity window (28 days by default); listening is
-- `reply_rate` (the KOL's replies per follower comment), `replied_share` (the share of follower
-- comments that got at least one reply) and `median_reply_latency_hours` (how long a replied
-- comment waited, null without a timed reply). `listening` compares the KOL with the median of
-- its own platform that day: platforms differ widely (Eastern KOLs answer far more often, see
-- eastern_vs_western_reciprocity.sql), so a Western KOL is judged against Western peers.
-- `direct_address_share` is how often followers write "you" / "你" to the KOL: a sign of a
-- two-way relationship. Best listeners first.
with params as (
    select (select max(date_day) from fct_reciprocity_daily) as as_of,
           20 as min_follower_comments
),
judged as (
    select r.*,
           median(r.reply_rate) over (partition by r.platform) as platform_median_reply_rate
    from fct_reciprocity_daily as r
    join params on r.date_day = params.as_of
    where r.follower_comments >= params.min_follower_comments
),
posting as (
    select i.account_key, sum(i.posts_published) as posts_in_window
    from fct_account_interactions_daily as i
    join judged as j
      on i.account_key = j.account_key
     and i.date_day > j.date_day - j.reciprocity_window_days
     and i.date_day <= j.date_day
    group by i.account_key
)
select j.platform,
       j.region,
       k.handle,
       k.tier,
       coalesce(p.posts_in_window, 0) as posts_in_window,
       j.follower_comments,
       j.creator_replies,
       round(j.reply_rate, 3) as reply_rate,
       round(j.replied_share, 3) as replied_share,
       round(j.median_reply_latency_hours, 1) as median_reply_latency_hours,
       round(j.direct_address_share, 3) as direct_address_share,
       round(j.platform_median_reply_rate, 3) as platform_median_reply_rate,
       case when j.reply_rate >= j.platform_median_reply_rate then 'listens more than most of its platform'
            else 'listens less than most of its platform' end as listening,
       j.account_key
from judged as j
join dim_kol as k using (account_key)
left join posting as p using (account_key)
order by j.reply_rate desc, j.median_reply_latency_hours nulls last, j.account_key;
