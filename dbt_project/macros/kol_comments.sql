{#-
    The creator-reply lookup over a relation (CTE) of int_comment_events rows, as three CTEs:
      follower_comments      comments by anyone but the account's creator;
      creator_replies        the creator's replies (comments with a parent);
      first_creator_replies  per follower comment the creator answered: comment_key, the
                             first reply's first_creator_reply_at and creator_reply_count.
    A reply counts only when it answers that comment on the same account. int_comments reads
    every landed day; the incremental marts pass their windowed comment events instead,
    because a join inside a view stops the warehouse from pruning the lake's partitions.
    Rendered without a trailing comma, like kol_union_platform_staging.
-#}
{% macro kol_creator_reply_ctes(comment_events='comment_events') -%}
follower_comments as (

    select * from {{ comment_events }}
    where is_follower_comment

),

creator_replies as (

    select * from {{ comment_events }}
    where is_creator_reply

),

first_creator_replies as (

    select
        follower_comments.comment_key,
        min(creator_replies.commented_at) as first_creator_reply_at,
        count(*) as creator_reply_count

    from follower_comments
    inner join creator_replies
        on creator_replies.parent_comment_key = follower_comments.comment_key
        and creator_replies.account_key = follower_comments.account_key

    group by follower_comments.comment_key

)
{%- endmacro %}
