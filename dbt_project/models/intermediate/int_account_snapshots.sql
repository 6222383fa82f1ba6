with

{{ kol_union_platform_staging('profiles', [
    'account_id',
    'snapshot_date',
    'handle',
    'followers',
    'following',
    'posts_count',
    'partition_date',
]) }},

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        unioned.platform,
        unioned.region,
        unioned.account_id,
        unioned.snapshot_date,
        unioned.handle,
        unioned.followers,
        unioned.following,
        unioned.posts_count,
        unioned.partition_date

    from unioned

)

select * from final
