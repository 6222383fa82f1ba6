{%- set platforms = kol_lake_platforms() -%}

with

{% for platform in platforms %}
{{ platform }}_comments as (

    select * from {{ ref('stg_' ~ platform ~ '__comments') }}

),

{% endfor %}
platform_regions as (

    select * from {{ ref('platform_regions') }}

),

unioned as (

    {% for platform in platforms %}
    select
        platform,
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
    from {{ platform }}_comments
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

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
        platform_regions.region,
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
        unioned.partition_date

    from unioned
    left join platform_regions
        on platform_regions.platform = unioned.platform

)

select * from final
