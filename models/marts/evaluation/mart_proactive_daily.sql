{#- Proactive service (主动服务占比) by day, site, channel, intent and team of
    the contact:
    - proactive share = proactive_share_numerator (handled company-initiated
      contacts) / proactive_share_denominator (all handled contacts, both
      directions);
    - pre-emption rate = preemption_rate_numerator (eligible proactive
      contacts with no customer-initiated contact on the same intent within
      repeat_window_days) / preemption_rate_denominator (handled proactive
      contacts with known customer and intent, not censored); censored and
      not evaluable ones are counted beside it.
    By agent: mart_evaluation_agent_daily. -#}
{{ config(**serviq_incremental('contact_date')) }}
with flagged as (

    select * from {{ ref('int_contacts_flagged_for_proactive') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from(var('repeat_window_days'), var('repeat_window_days')) }}
    {%- endif %}

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

    from flagged
    group by contact_date, site_code, channel, intent, team

)

select * from final
