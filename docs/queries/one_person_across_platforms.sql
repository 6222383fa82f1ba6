-- Question: how do one person's accounts compare across platforms?
--
-- How to read the answer: one row per account of the person (`kol_identity` in dim_kol: the
-- seed kol_identity_links ties a creator's handles on several platforms to one name; an
-- unlinked account is its own identity). Set `person` in `params` to the identity you want
-- (e.g. 'person_beauty' in the demo); left null, the query takes the linked identity with the
-- most accounts. Scores are compared within each platform and tier
-- (`percentile_in_platform_tier`, 0 lowest, 1 highest) because a raw credibility score or
-- engagement rate means different things on Weibo and on YouTube: the same person typically
-- listens far more on an Eastern platform than on a Western one. `audience_real_share` is the
-- share of sampled followers that look like real people; `conversion_rate` is orders per click
-- of the account's sponsored posts (null without a click in the window).
with params as (
    select cast(null as varchar) as person,
           (select max(date_day) from fct_kol_credibility_daily) as as_of
),
chosen as (
    select coalesce(
        (select person from params),
        (select kol_identity from dim_kol where is_linked_identity
         group by kol_identity order by count(*) desc, kol_identity limit 1)) as kol_identity
)
select k.kol_identity,
       k.platform,
       k.region,
       k.handle,
       c.tier,
       c.followers,
       round(c.follower_growth_28d, 4) as follower_growth_28d,
       c.credibility_score,
       round(c.credibility_percentile_in_platform_tier, 2) as percentile_in_platform_tier,
       round(i.engagement_rate_latest_posts, 4) as engagement_rate_latest_posts,
       round(r.reply_rate, 3) as reply_rate,
       round(r.median_reply_latency_hours, 1) as median_reply_latency_hours,
       round(a.real_share, 3) as audience_real_share,
       round(m.conversion_rate_trailing, 4) as conversion_rate,
       k.account_key
from dim_kol as k
join chosen using (kol_identity)
cross join params
left join fct_kol_credibility_daily as c on c.account_key = k.account_key and c.date_day = params.as_of
left join fct_account_interactions_daily as i on i.account_key = k.account_key and i.date_day = params.as_of
left join fct_reciprocity_daily as r on r.account_key = k.account_key and r.date_day = params.as_of
left join fct_audience_quality_daily as a on a.account_key = k.account_key and a.date_day = params.as_of
left join fct_account_commerce_daily as m on m.account_key = k.account_key and m.date_day = params.as_of
order by k.region, c.credibility_score desc nulls last, k.platform;
