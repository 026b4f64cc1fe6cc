{#- Customer effort (客户费力度) by day of the episode's first handled contact,
    site, channel, intent and team. Two views:
    - survey CES over every answer given in an episode: mean score
      (ces_mean_numerator / ces_mean_denominator) and the share of answers
      5-7 (ces_top_box_numerator / ces_top_box_denominator);
    - the Customer Effort Index over episodes that are not censored (a
      censored episode may still grow): mean index and mean of each raw
      component (each *_sum / effort_index_mean_denominator).
    Sums only, so any period or dimension re-aggregates exactly. By agent:
    mart_evaluation_agent_daily. -#}
{{ config(**serviq_incremental('episode_date')) }}
{{ config(pre_hook="{{ serviq_delete_episode_days('episode_date') }}") }}
with episodes as (

    select * from {{ ref('fct_episodes') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_episode_days('episode_date') }}
    {%- endif %}

),

final as (

    select
        episode_date,
        episode_week,
        episode_month,
        site_code,
        channel,
        intent,
        team,
        count(*) as episode_count,
        sum(case when is_censored then 1 else 0 end) as censored_episode_count,
        sum(case when not is_censored then effort_index else 0 end) as effort_index_mean_numerator,
        sum(case when not is_censored then 1 else 0 end) as effort_index_mean_denominator,
        sum(case when not is_censored then handled_contact_count - 1 else 0 end)
            as extra_handled_contact_sum,
        sum(case when not is_censored then abandoned_attempt_count else 0 end)
            as abandoned_attempt_sum,
        sum(case when not is_censored then channel_switch_count else 0 end)
            as channel_switch_sum,
        sum(case when not is_censored then transfer_count else 0 end) as transfer_sum,
        sum(case when not is_censored then queue_wait_seconds else 0 end)
            as queue_wait_seconds_sum,
        sum(case when not is_censored then hold_seconds else 0 end) as hold_seconds_sum,
        sum(case when not is_censored then backoffice_handoff_count else 0 end)
            as backoffice_handoff_sum,
        sum(case when not is_censored then elapsed_hours else 0 end) as elapsed_hours_sum,
        sum(ces_score_sum) as ces_mean_numerator,
        sum(ces_answer_count) as ces_mean_denominator,
        sum(ces_top_box_count) as ces_top_box_numerator,
        sum(ces_answer_count) as ces_top_box_denominator

    from episodes
    group by episode_date, episode_week, episode_month, site_code, channel, intent, team

)

select * from final
