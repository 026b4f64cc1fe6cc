{#- Proactive service (主动服务占比) by day, site, channel, intent, team and
    agent of the contact:
    - proactive share = proactive_share_numerator (handled company-initiated
      contacts) / proactive_share_denominator (all handled contacts, both
      directions);
    - pre-emption rate = preemption_rate_numerator (eligible proactive
      contacts with no customer-initiated contact on the same intent within
      repeat_window_days) / preemption_rate_denominator (handled proactive
      contacts with known customer and intent, not censored); censored and
      not evaluable ones are counted beside it. -#}
with contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}

),

proactive as (

    select * from {{ ref('int_proactive_contacts_checked_for_preemption') }}

),

joined as (

    select
        contacts.contact_date,
        coalesce(contacts.site_code, 'unassigned') as site_code,
        contacts.channel,
        coalesce(contacts.intent, 'unknown') as intent,
        coalesce(contacts.team, 'unassigned') as team,
        contacts.agent_id,
        contacts.is_handled,
        contacts.initiated_by = 'company' as is_proactive,
        coalesce(proactive.is_preemption_eligible, false) as is_preemption_eligible,
        coalesce(proactive.is_followed_by_inbound, false) as is_followed_by_inbound,
        coalesce(proactive.is_censored, false) as is_censored,
        coalesce(proactive.is_evaluable, false) as is_evaluable

    from contacts
    left join proactive
        on contacts.contact_id = proactive.contact_id

),

final as (

    select
        contact_date,
        cast({{ dbt.date_trunc('week', 'contact_date') }} as date) as contact_week,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month,
        site_code,
        channel,
        intent,
        team,
        agent_id,
        sum(case when is_proactive then 1 else 0 end) as proactive_contact_count,
        sum(case when is_proactive and is_handled then 1 else 0 end) as proactive_share_numerator,
        sum(case when is_handled then 1 else 0 end) as proactive_share_denominator,
        sum(case when is_preemption_eligible and not is_followed_by_inbound then 1 else 0 end)
            as preemption_rate_numerator,
        sum(case when is_preemption_eligible then 1 else 0 end) as preemption_rate_denominator,
        sum(case when is_proactive and is_handled and is_evaluable and is_censored then 1 else 0 end)
            as preemption_censored_count,
        sum(case when is_proactive and is_handled and not is_evaluable then 1 else 0 end)
            as preemption_unevaluable_count

    from joined
    group by contact_date, site_code, channel, intent, team, agent_id

)

select * from final
