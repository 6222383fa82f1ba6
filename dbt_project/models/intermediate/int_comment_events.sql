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

{#-
    Comments dropped in the inbox (stg_files__comments) join the API's. One copy per comment:
    the API's copy of a (platform, comment_id) wins over any file's, and among files the last
    landed copy wins (then the greater landed file name). A comment is looked up within its lake
    day (partition_date): the inbox lands a comment on the UTC day it was written, as the nightly
    pull of that day does, and a lookup bounded to the day lets the marts' partition filter reach
    both sides (the lake is never read whole). File comments on posts the API never served count
    all the same.
-#}
{#- Every relation below is read once (a CTE read twice is materialised whole by the warehouse,
    out of reach of the marts' partition filter): the files' comments are named again where needed. #}
file_copies as (

    select
        single_copy.platform,
        single_copy.comment_id,
        single_copy.post_id,
        single_copy.account_id,
        single_copy.commenter_id,
        single_copy.commenter_handle,
        single_copy.commented_at,
        single_copy.commented_date,
        single_copy.comment_text,
        single_copy.parent_comment_id,
        single_copy.partition_date

    from {{ ref('stg_files__comments') }} as single_copy
    -- days on which comments of more than one landed file lie: only there can two files hold the
    -- same comment, so only there are copies ranked (a viral day's one bulk file is never sorted)
    left join (

            select partition_date
            from {{ ref('stg_files__comments') }}
            group by partition_date
            having count(distinct landed_file) > 1

        ) as shared_days
        on shared_days.partition_date = single_copy.partition_date
    where shared_days.partition_date is null

    union all

    select
        ranked.platform,
        ranked.comment_id,
        ranked.post_id,
        ranked.account_id,
        ranked.commenter_id,
        ranked.commenter_handle,
        ranked.commented_at,
        ranked.commented_date,
        ranked.comment_text,
        ranked.parent_comment_id,
        ranked.partition_date

    from (

        select
            copies.*,
            row_number() over (
                partition by copies.platform, copies.comment_id, copies.partition_date
                order by copies.loaded_at desc, copies.landed_file desc
            ) as copy_rank

        from {{ ref('stg_files__comments') }} as copies
        inner join (
    
                select partition_date
                from {{ ref('stg_files__comments') }}
                group by partition_date
                having count(distinct landed_file) > 1
    
            ) as shared_days
            on shared_days.partition_date = copies.partition_date

    ) as ranked
    where ranked.copy_rank = 1

),

api_comment_ids as (
{% for platform in kol_lake_platforms() %}
    select platform, comment_id, partition_date
    from {{ ref('stg_' ~ platform ~ '__comments') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}

),

file_only as (

    select file_copies.*
    from file_copies
    left join api_comment_ids
        on api_comment_ids.platform = file_copies.platform
        and api_comment_ids.comment_id = file_copies.comment_id
        and api_comment_ids.partition_date = file_copies.partition_date
    where api_comment_ids.comment_id is null

),

all_comments as (

    select
        platform,
        region,
        comment_id,
        post_id,
        account_id,
        commenter_id,
        commenter_handle,
        commented_at,
        commented_date,
        comment_text,
        parent_comment_id,
        partition_date

    from unioned

    union all

    select
        file_only.platform,
        platform_regions.region,
        file_only.comment_id,
        file_only.post_id,
        file_only.account_id,
        file_only.commenter_id,
        file_only.commenter_handle,
        file_only.commented_at,
        file_only.commented_date,
        file_only.comment_text,
        file_only.parent_comment_id,
        file_only.partition_date

    from file_only
    left join platform_regions
        on platform_regions.platform = file_only.platform

),

final as (

    select
        {{ kol_make_key('all_comments.platform', 'all_comments.comment_id') }} as comment_key,
        {{ kol_make_key('all_comments.platform', 'all_comments.post_id') }} as post_key,
        {{ kol_make_key('all_comments.platform', 'all_comments.account_id') }} as account_key,
        case
            when all_comments.parent_comment_id is not null
                then {{ kol_make_key('all_comments.platform', 'all_comments.parent_comment_id') }}
        end as parent_comment_key,
        all_comments.platform,
        all_comments.region,
        all_comments.comment_id,
        all_comments.post_id,
        all_comments.account_id,
        all_comments.commenter_id,
        all_comments.commenter_handle,
        all_comments.commented_at,
        all_comments.commented_date,
        all_comments.comment_text,
        all_comments.parent_comment_id,
        all_comments.commenter_id = all_comments.account_id as is_creator_comment,
        all_comments.commenter_id = all_comments.account_id
            and all_comments.parent_comment_id is not null as is_creator_reply,
        all_comments.commenter_id <> all_comments.account_id as is_follower_comment,
        -- second person ("you", 你, 您): the comment talks to the KOL (Thelwall et al. 2022)
        {{ kol_addresses_creator('all_comments.comment_text') }} as addresses_creator,
        all_comments.partition_date

    from all_comments

)

select * from final
