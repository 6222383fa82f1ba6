with

{{ kol_union_platform_staging('posts', [
    'post_id',
    'account_id',
    'published_at',
    'published_date',
    'post_text',
    'media_type',
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
        unioned.published_at,
        unioned.published_date,
        unioned.post_text,
        unioned.media_type,
        unioned.partition_date

    from unioned

)

select * from final
