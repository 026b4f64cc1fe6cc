{#- Every handled or company-initiated contact with the flags the proactive
    measures need: handled, proactive, and for proactive contacts the
    pre-emption flags. The proactive marts (by day and by agent) aggregate
    this. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from(var('repeat_window_days'), var('repeat_window_days')) }}
    {%- endif %}

),

proactive as (

    select * from {{ ref('int_proactive_contacts_checked_for_preemption') }}

),

final as (

    select
        contacts.contact_id,
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
    where contacts.is_handled
        or contacts.initiated_by = 'company'

)

select * from final
