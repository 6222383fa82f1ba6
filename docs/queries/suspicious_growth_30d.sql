-- Question: which KOLs gained followers suspiciously in the last 30 days?
--
-- How to read the answer: one row per suspicious day in the 30 days up to the as-of day, most
-- recent first. A day is suspicious growth when the account gained more than 5% of its
-- followers (and at least 50) in a day (`is_follower_jump`) and no engagement backs the jump:
-- neither that day's nor the next day's engagement gain reached twice the account's 7-day
-- baseline (docs/methodology.md, "Followers"; every threshold is a dbt var). Bought followers
-- look like this; a genuine viral post brings followers and engagement together and is not
-- listed. `engagement_multiple` is the better of the day's and the next day's engagement gain
-- over the baseline (below 2: unbacked). `suspicious_days_in_window` counts the account's suspicious days in the 30 days:
-- repeat offenders first within a day. `provisional` marks a verdict whose next day is not
-- landed yet: that day's engagement can still back the jump.
with params as (
    select (select max(date_day) from fct_followers_daily) as as_of,
           30 as days
),
flagged as (
    select f.*,
           count(*) over (partition by f.account_key) as suspicious_days_in_window
    from fct_followers_daily as f, params
    where f.is_suspicious_growth
      and f.date_day > params.as_of - params.days
      and f.date_day <= params.as_of
)
select f.date_day,
       f.platform,
       k.handle,
       f.tier,
       f.followers,
       f.net_follower_change,
       round(f.daily_follower_growth, 4) as daily_follower_growth,
       f.engagement_gained,
       round(f.engagement_gained_baseline, 1) as engagement_gained_baseline,
       f.engagement_gained_after,
       round(greatest(f.engagement_gained, coalesce(f.engagement_gained_after, 0))
             / nullif(f.engagement_gained_baseline, 0), 2) as engagement_multiple,
       f.engagement_gained_after is null as provisional,
       f.suspicious_days_in_window,
       f.account_key
from flagged as f
join dim_kol as k using (account_key)
order by f.date_day desc, f.suspicious_days_in_window desc, f.account_key;
