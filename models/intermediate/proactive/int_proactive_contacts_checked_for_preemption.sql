{#- Every company-initiated (proactive) contact, with the same customer's
    next customer-initiated contact on the same intent, and whether the
    proactive contact pre-empted it: a handled (reached) proactive contact
    with a known customer and intent pre-empts when no customer-initiated
    contact on that intent followed within repeat_window_days (x 24 h,
    inclusive: a contact exactly at the edge is a follow-up). Proactive
    contacts that started less than repeat_window_days before the end of
    the data are censored (the follow-up could still come). One window
    function per customer and intent; no self-join. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as {{ cte_inlined() }} (

    select * from {{ ref('int_contacts_cut_at_data_end') }}
    {%- if serviq_is_partial() %}
    -- a follow-up reaches back repeat_window_days, and so does censoring
    -- from the end of the data; later contacts are all read
    where contact_date >= {{ serviq_recompute_from(var('repeat_window_days'), var('repeat_window_days')) }}
    {%- endif %}

),

proactive_pairs as (

    -- only a customer and intent with a proactive contact needs the walk
    -- (a window partition is never read otherwise): about an eighth of the
    -- contacts at 3M, and a semi-join is cheaper than sorting the rest
    select distinct
        customer_id,
        intent

    from contacts
    where initiated_by = 'company'
        and customer_id is not null
        and intent is not null

),

timeline as (

    select
        contacts.contact_id,
        contacts.customer_id,
        contacts.intent,
        contacts.started_at,
        contacts.initiated_by = 'company' as is_proactive,
        case when contacts.initiated_by = 'company' then 0 else 1 end as tie_order

    from contacts
    inner join proactive_pairs
        on contacts.customer_id = proactive_pairs.customer_id
        and contacts.intent = proactive_pairs.intent

),

timeline_followed as (

    select
        contact_id,
        is_proactive,
        min(case when not is_proactive then started_at end) over (
            partition by customer_id, intent
            order by started_at, tie_order, contact_id
            rows between 1 following and unbounded following
        ) as next_inbound_started_at

    from timeline

),

proactive as (

    select
        contacts.contact_id,
        contacts.contact_date,
        contacts.channel,
        contacts.site_code,
        contacts.team,
        contacts.agent_id,
        contacts.intent,
        contacts.started_at,
        contacts.is_handled,
        contacts.customer_id is not null and contacts.intent is not null as is_evaluable,
        {{ seconds_between('contacts.started_at', 'contacts.data_end_at') }}
            < {{ var('repeat_window_days') }} * 86400 as is_censored,
        timeline_followed.next_inbound_started_at

    from contacts
    left join timeline_followed
        on contacts.contact_id = timeline_followed.contact_id
    where contacts.initiated_by = 'company'

),

final as (

    select
        proactive.*,
        proactive.next_inbound_started_at is not null
            and {{ seconds_between('proactive.started_at', 'proactive.next_inbound_started_at') }}
            <= {{ var('repeat_window_days') }} * 86400 as is_followed_by_inbound,
        proactive.is_handled
            and proactive.is_evaluable
            and not proactive.is_censored as is_preemption_eligible

    from proactive

)

select * from final
