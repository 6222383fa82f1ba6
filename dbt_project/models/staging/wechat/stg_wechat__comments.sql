{{ config(enabled=kol_platform_enabled('wechat')) }}

with

source as (

    select * from {{ source('wechat', 'comments') }}

),

renamed as (

    select
        'wechat' as platform,
        -- user_comment_id is unique per article only, and the account's answer has no id
        -- of its own: the id is the landed natural key (msgid, user_comment_id, is_reply)
        cast(
            case
                when is_reply
                    then {{ dbt.concat(['msgid', "':'", 'user_comment_id', "':reply'"]) }}
                else {{ dbt.concat(['msgid', "':'", 'user_comment_id']) }}
            end as {{ dbt.type_string() }}
        ) as comment_id,
        cast(msgid as {{ dbt.type_string() }}) as post_id,
        cast(original_id as {{ dbt.type_string() }}) as account_id,
        cast(openid as {{ dbt.type_string() }}) as commenter_id,
        -- the comment list names no author
        cast(null as {{ dbt.type_string() }}) as commenter_handle,
        create_time as commented_at,
        {{ kol_utc_date('create_time') }} as commented_date,
        cast(content as {{ dbt.type_string() }}) as comment_text,
        cast(
            case
                when reply_to_user_comment_id is not null
                    then {{ dbt.concat(['msgid', "':'", 'reply_to_user_comment_id']) }}
            end as {{ dbt.type_string() }}
        ) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
