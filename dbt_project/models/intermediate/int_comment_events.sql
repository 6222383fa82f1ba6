with

{{ kol_union_platform_staging('comments', [
    'comment_id',
    'post_id',
    'account_id',
    'commenter_id',
    'commenter_handle',
    'commented_at',
    'commented_date',
    'comment_text',
    'parent_comment_id',
    'partition_date',
]) }},

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.comment_id') }} as comment_key,
        {{ kol_make_key('unioned.platform', 'unioned.post_id') }} as post_key,
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        case
            when unioned.parent_comment_id is not null
                then {{ kol_make_key('unioned.platform', 'unioned.parent_comment_id') }}
        end as parent_comment_key,
        unioned.platform,
        unioned.region,
        unioned.comment_id,
        unioned.post_id,
        unioned.account_id,
        unioned.commenter_id,
        unioned.commenter_handle,
        unioned.commented_at,
        unioned.commented_date,
        unioned.comment_text,
        unioned.parent_comment_id,
        unioned.commenter_id = unioned.account_id as is_creator_comment,
        unioned.commenter_id = unioned.account_id
            and unioned.parent_comment_id is not null as is_creator_reply,
        unioned.commenter_id <> unioned.account_id as is_follower_comment,
        -- second person ("you", 你, 您): the comment talks to the KOL (Thelwall et al. 2022)
        {{ kol_addresses_creator('unioned.comment_text') }} as addresses_creator,
        unioned.partition_date

    from unioned

)

select * from final
