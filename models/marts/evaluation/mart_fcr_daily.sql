{#- One-contact resolution (一次性解决率, FCR) by day of the episode's first
    handled contact, site, channel, intent and team (of that contact).
    FCR = fcr_numerator / fcr_denominator over episodes that are not
    censored; censored episodes, and handled customer-initiated contacts
    that cannot form episodes (customer unknown, or no final intent), are
    counted beside it. Re-aggregate by summing the columns over any period
    (episode_week, episode_month) or dimension. By agent:
    mart_evaluation_agent_daily. -#}
{{ config(**serviq_incremental('episode_date')) }}
{{ config(pre_hook="{{ serviq_delete_episode_days('episode_date') }}") }}
with episodes as (

    select * from {{ ref('fct_episodes') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_episode_days('episode_date') }}
    {%- endif %}

),

contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_episode_days('contact_date') }}
    {%- endif %}

),

episodes_rolled as (

    select
        episode_date,
        site_code,
        channel,
        intent,
        team,
        count(*) as episode_count,
        sum(case when is_censored then 1 else 0 end) as censored_episode_count,
        sum(case when not is_censored and is_one_contact_resolution then 1 else 0 end)
            as fcr_numerator,
        sum(case when not is_censored then 1 else 0 end) as fcr_denominator,
        sum(case when not is_censored and handled_contact_count > 1 then 1 else 0 end)
            as repeated_episode_count,
        sum(case when not is_censored and is_first_contact_escalated then 1 else 0 end)
            as escalated_episode_count,
        sum(case when not is_censored and is_first_contact_marked_unresolved then 1 else 0 end)
            as marked_unresolved_episode_count,
        sum(handled_contact_count) as handled_contact_count,
        sum(abandoned_attempt_count) as abandoned_attempt_count,
        0 as unknown_customer_contact_count,
        0 as no_intent_contact_count

    from episodes
    group by episode_date, site_code, channel, intent, team

),

excluded_rolled as (

    -- handled customer-initiated contacts that cannot form episodes

    select
        contact_date as episode_date,
        coalesce(site_code, 'unassigned') as site_code,
        channel,
        coalesce(intent, 'unknown') as intent,
        coalesce(team, 'unassigned') as team,
        0 as episode_count,
        0 as censored_episode_count,
        0 as fcr_numerator,
        0 as fcr_denominator,
        0 as repeated_episode_count,
        0 as escalated_episode_count,
        0 as marked_unresolved_episode_count,
        0 as handled_contact_count,
        0 as abandoned_attempt_count,
        sum(case when customer_id is null then 1 else 0 end) as unknown_customer_contact_count,
        sum(case when customer_id is not null and intent is null then 1 else 0 end)
            as no_intent_contact_count

    from contacts
    where initiated_by = 'customer'
        and is_handled
        and (customer_id is null or intent is null)
    group by
        contact_date,
        coalesce(site_code, 'unassigned'),
        channel,
        coalesce(intent, 'unknown'),
        coalesce(team, 'unassigned')

),

unioned as (

    select * from episodes_rolled
    union all
    select * from excluded_rolled

),

final as (

    select
        episode_date,
        cast({{ dbt.date_trunc('week', 'episode_date') }} as date) as episode_week,
        cast({{ dbt.date_trunc('month', 'episode_date') }} as date) as episode_month,
        site_code,
        channel,
        intent,
        team,
        sum(episode_count) as episode_count,
        sum(censored_episode_count) as censored_episode_count,
        sum(fcr_numerator) as fcr_numerator,
        sum(fcr_denominator) as fcr_denominator,
        cast(sum(fcr_numerator) as {{ type_double() }}) / nullif(sum(fcr_denominator), 0) as fcr_rate,
        sum(repeated_episode_count) as repeated_episode_count,
        sum(escalated_episode_count) as escalated_episode_count,
        sum(marked_unresolved_episode_count) as marked_unresolved_episode_count,
        sum(handled_contact_count) as handled_contact_count,
        sum(abandoned_attempt_count) as abandoned_attempt_count,
        sum(unknown_customer_contact_count) as unknown_customer_contact_count,
        sum(no_intent_contact_count) as no_intent_contact_count

    from unioned
    group by episode_date, site_code, channel, intent, team

)

select * from final
