{#- The episodes whose effort index can be set against the customer's own
    effort score (CES): uncensored, with an effort index and at least one
    CES answer. The FCR and effort page ranks these two per selection
    (Spearman); reading ~7 % of fct_episodes instead of scanning it all. -#}
with episodes as (

    select * from {{ ref('fct_episodes') }}

),

final as (

    select
        episode_id,
        episode_date,
        site_code,
        channel,
        intent,
        team,
        effort_index,
        ces_mean_score

    from episodes
    where not is_censored
        and ces_answer_count > 0
        and effort_index is not null

)

select * from final
