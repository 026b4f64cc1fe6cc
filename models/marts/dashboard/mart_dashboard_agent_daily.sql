{#- The dashboard's agent tables (hotline, FCR and effort, value) per day,
    agent, site and team: mart_hotline_agent_daily summed over channel and
    work mode, mart_evaluation_agent_daily summed over channel, side by
    side. ~220k rows at 10M contacts instead of two marts of ~477k each,
    with only the sums those tables re-aggregate, so any date, site or team
    selection sums to exactly what the two marts give. No channel (the
    dashboard reads the channel-grain marts when a channel is filtered)
    and no intent (neither agent mart has one). An agent-day that one of
    the two marts does not hold has nulls in that mart's columns and
    has_hotline_row / has_evaluation_row false.
    Incremental: a run recomputes every day either agent mart can have
    recomputed (serviq_in_agent_mart_days), each day whole. -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook="{{ serviq_delete_agent_mart_days() }}") }}
{%- set hotline_counts = [
    'contact_count', 'offered_count', 'answered_count', 'abandoned_count',
    'answer_rate_numerator', 'answer_rate_denominator',
    'service_level_numerator', 'service_level_denominator',
    'asa_seconds_denominator',
    'abandonment_rate_numerator', 'abandonment_rate_denominator',
    'aht_seconds_denominator',
    'bot_containment_rate_numerator', 'bot_containment_rate_denominator',
    'escalation_rate_numerator', 'escalation_rate_denominator',
    'transfer_rate_numerator', 'transfer_rate_denominator',
    'repeat_contact_rate_numerator', 'repeat_contact_rate_denominator',
    'complaints_per_10k_numerator', 'complaints_per_10k_denominator',
    'nps_numerator', 'nps_denominator',
    'csat_rate_numerator', 'csat_rate_denominator',
] -%}
{%- set hotline_seconds = ['talk_seconds_sum', 'asa_seconds_numerator', 'aht_seconds_numerator'] -%}
{%- set evaluation_counts = [
    'episode_count', 'fcr_numerator', 'fcr_denominator',
    'effort_index_mean_denominator', 'ces_mean_numerator', 'ces_mean_denominator',
    'service_contact_count', 'value_censored_contact_count',
    'offer_acceptance_share_numerator', 'offer_acceptance_share_denominator',
    'value_per_1000_denominator',
    'offer_take_up_rate_numerator', 'offer_take_up_rate_denominator',
    'harm_rate_numerator', 'harm_rate_denominator', 'harm_censored_offer_count',
] -%}
{%- set evaluation_doubles = ['effort_index_mean_numerator', 'value_per_1000_numerator'] -%}
{%- set hotline_columns = hotline_counts + hotline_seconds -%}
{%- set evaluation_columns = evaluation_counts + evaluation_doubles -%}

-- depends_on: {{ ref('fct_episodes') }}
with hotline_agents as (

    select * from {{ ref('mart_hotline_agent_daily') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_agent_mart_days('contact_date') }}
    {%- endif %}

),

evaluation_agents as (

    select * from {{ ref('mart_evaluation_agent_daily') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_agent_mart_days('contact_date') }}
    {%- endif %}

),

unioned as (

    select
        contact_date,
        agent_id,
        site_code,
        team,
        1 as hotline_row_count,
        0 as evaluation_row_count,
        {%- for column in hotline_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column in evaluation_columns %}
        cast(null as {{ type_double() if column in evaluation_doubles else dbt.type_bigint() }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from hotline_agents

    union all

    select
        contact_date,
        agent_id,
        site_code,
        team,
        0 as hotline_row_count,
        1 as evaluation_row_count,
        {%- for column in hotline_columns %}
        cast(null as {{ type_double() if column in hotline_seconds else dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        {%- for column in evaluation_columns %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from evaluation_agents

),

final as (

    select
        contact_date,
        agent_id,
        site_code,
        team,
        sum(hotline_row_count) > 0 as has_hotline_row,
        sum(evaluation_row_count) > 0 as has_evaluation_row,
        {%- for column in hotline_counts + evaluation_counts %}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        {%- for column in hotline_seconds + evaluation_doubles %}
        sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from unioned
    group by contact_date, agent_id, site_code, team
    order by contact_date

)

select * from final
