with

{{ kol_union_platform_staging('audience', [
    'account_id',
    'follower_id',
    'snapshot_date',
    'follower_handle',
    'follower_followers',
    'follower_following',
    'follower_posts_count',
    'has_avatar',
    'bio_length',
    'follower_created_at',
    'avatar_observed',
    'bio_observed',
    'follower_handle_length',
    'follower_handle_digit_count',
    'partition_date',
]) }},

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        {{ kol_make_key('unioned.platform', 'unioned.follower_id') }} as follower_key,
        unioned.platform,
        unioned.region,
        unioned.account_id,
        unioned.follower_id,
        unioned.snapshot_date,
        unioned.follower_handle,
        unioned.follower_followers,
        unioned.follower_following,
        unioned.follower_posts_count,
        unioned.has_avatar,
        unioned.bio_length,
        unioned.bio_length > 0 as has_bio,
        unioned.follower_created_at,
        {{ kol_days_between(kol_utc_date('unioned.follower_created_at'), 'unioned.snapshot_date') }}
            as follower_account_age_days,
        {{ kol_safe_divide('unioned.follower_following', 'unioned.follower_followers') }}
            as follower_following_ratio,
        unioned.avatar_observed,
        unioned.bio_observed,
        unioned.follower_handle_length,
        unioned.follower_handle_digit_count,
        unioned.partition_date

    from unioned

)

select * from final
