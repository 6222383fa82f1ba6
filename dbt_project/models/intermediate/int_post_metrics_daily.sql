with

{{ kol_union_platform_staging('post_metrics', [
    'post_id',
    'account_id',
    'snapshot_date',
    'likes',
    'comments',
    'shares',
    'views',
    'saves',
    'partition_date',
]) }},

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.post_id') }} as post_key,
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        unioned.platform,
        unioned.region,
        unioned.post_id,
        unioned.account_id,
        unioned.snapshot_date,
        unioned.likes,
        unioned.comments,
        unioned.shares,
        unioned.views,
        unioned.saves,
        -- the engagement-rate numerator: likes + comments (shares are left out because
        -- not every platform counts them). Null when either counter is unknown (WeChat
        -- publishes neither, RED hides some): an unknown is not a zero, and sums over
        -- posts skip it
        unioned.likes + unioned.comments as engagement,
        unioned.partition_date

    from unioned

)

select * from final
