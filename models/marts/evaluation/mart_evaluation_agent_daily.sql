{#- The evaluation metrics by agent: day x site x team x agent x channel of
    the agent's contact (for episodes: the first handled contact, which the
    agent took). No intent: an agent-day split by intent multiplies rows
    (at 10M contacts, millions) for a view nobody reads; the family marts
    keep the intent grain without the agent. Same numerator / denominator
    columns as mart_fcr_daily, mart_effort_daily, mart_proactive_daily and
    mart_value_daily, so the same formulas apply; agent_id is null for
    bot-handled contacts, so the totals reconcile with the family marts. -#}
{%- set episode_measures = [
    'episode_count', 'censored_episode_count', 'fcr_numerator', 'fcr_denominator',
    'effort_index_mean_numerator', 'effort_index_mean_denominator',
    'ces_mean_numerator', 'ces_mean_denominator', 'ces_top_box_numerator', 'ces_top_box_denominator',
] -%}
{%- set proactive_measures = [
    'proactive_share_numerator', 'proactive_share_denominator',
    'preemption_rate_numerator', 'preemption_rate_denominator',
] -%}
{%- set value_measures = [
    'service_contact_count', 'value_censored_contact_count',
    'offer_acceptance_share_numerator', 'offer_acceptance_share_denominator',
    'value_per_1000_numerator', 'value_per_1000_denominator',
    'offer_take_up_rate_numerator', 'offer_take_up_rate_denominator',
    'harm_rate_numerator', 'harm_rate_denominator', 'harm_censored_offer_count',
] -%}
{%- set all_measures = episode_measures + proactive_measures + value_measures -%}
{{ config(**serviq_incremental('contact_date')) }}
{{ config(pre_hook="{{ serviq_delete_episode_days('contact_date', 2 * var('value_window_days')) }}") }}
with episodes as (

    select * from {{ ref('fct_episodes') }}
    {%- if serviq_is_partial() %}
    -- the episode days, and the value models' lookback (the longest)
    where {{ serviq_in_episode_days('episode_date') }}
        or {{ serviq_in_recompute('episode_date', 2 * var('value_window_days'), 2 * var('value_window_days'), 0, true, ['offers']) }}
    {%- endif %}

),

proactive_flagged as (

    select * from {{ ref('int_contacts_flagged_for_proactive') }}
    {%- if serviq_is_partial() %}
    -- the episode days, and the value models' lookback (the longest)
    where {{ serviq_in_episode_days('contact_date') }}
        or {{ serviq_in_recompute('contact_date', 2 * var('value_window_days'), 2 * var('value_window_days'), 0, true, ['offers']) }}
    {%- endif %}

),

contacts_valued as (

    select * from {{ ref('int_service_contacts_valued') }}
    {%- if serviq_is_partial() %}
    -- the episode days, and the value models' lookback (the longest)
    where {{ serviq_in_episode_days('contact_date') }}
        or {{ serviq_in_recompute('contact_date', 2 * var('value_window_days'), 2 * var('value_window_days'), 0, true, ['offers']) }}
    {%- endif %}

),

episodes_rolled as (

    select
        episode_date as contact_date,
        site_code,
        team,
        agent_id,
        channel,
        count(*) as episode_count,
        sum(case when is_censored then 1 else 0 end) as censored_episode_count,
        sum(case when not is_censored and is_one_contact_resolution then 1 else 0 end)
            as fcr_numerator,
        sum(case when not is_censored then 1 else 0 end) as fcr_denominator,
        sum(case when not is_censored then effort_index else 0 end) as effort_index_mean_numerator,
        sum(case when not is_censored then 1 else 0 end) as effort_index_mean_denominator,
        sum(ces_score_sum) as ces_mean_numerator,
        sum(ces_answer_count) as ces_mean_denominator,
        sum(ces_top_box_count) as ces_top_box_numerator,
        {%- for measure in all_measures if measure not in episode_measures + ['ces_top_box_denominator'] %}
        0 as {{ measure }},
        {%- endfor %}
        sum(ces_answer_count) as ces_top_box_denominator

    from episodes
    group by episode_date, site_code, team, agent_id, channel

),

proactive_rolled as (

    select
        contact_date,
        site_code,
        team,
        agent_id,
        channel,
        {%- for measure in all_measures if measure not in proactive_measures %}
        0 as {{ measure }},
        {%- endfor %}
        sum(case when is_proactive and is_handled then 1 else 0 end) as proactive_share_numerator,
        sum(case when is_handled then 1 else 0 end) as proactive_share_denominator,
        sum(case when is_preemption_eligible and not is_followed_by_inbound then 1 else 0 end)
            as preemption_rate_numerator,
        sum(case when is_preemption_eligible then 1 else 0 end) as preemption_rate_denominator

    from proactive_flagged
    group by contact_date, site_code, team, agent_id, channel

),

value_rolled as (

    select
        contact_date,
        site_code,
        team,
        agent_id,
        channel,
        {%- for measure in all_measures if measure not in value_measures %}
        0 as {{ measure }},
        {%- endfor %}
        {{ value_cocreation_measures() }}

    from contacts_valued
    group by contact_date, site_code, team, agent_id, channel

),

unioned as (

    select
        contact_date, site_code, team, agent_id, channel,
        {%- for measure in all_measures %}
        {{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from episodes_rolled

    union all

    select
        contact_date, site_code, team, agent_id, channel,
        {%- for measure in all_measures %}
        {{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from proactive_rolled

    union all

    select
        contact_date, site_code, team, agent_id, channel,
        {%- for measure in all_measures %}
        {{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from value_rolled

),

final as (

    select
        contact_date,
        cast({{ dbt.date_trunc('week', 'contact_date') }} as date) as contact_week,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month,
        site_code,
        team,
        agent_id,
        channel,
        {%- for measure in all_measures %}
        sum({{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from unioned
    group by contact_date, site_code, team, agent_id, channel

)

select * from final
