with

{{ kol_union_platform_staging('post_metrics', [
    'post_id',
    'account_id',
    'snapshot_date',
    'likes',
    'comments',
    'shares',
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
        -- the engagement-rate numerator: likes + comments (shares are left out because
        -- not every platform counts them)
        coalesce(unioned.likes, 0) + coalesce(unioned.comments, 0) as engagement,
        unioned.partition_date

    from unioned

)

select * from final
