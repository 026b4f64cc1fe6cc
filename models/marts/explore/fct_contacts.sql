{#- One row per contact for the dashboard's Explore page: the drill-down
    from any bucket (day, hour, site, channel, intent, team, agent) to the
    contacts in it. Non-PII columns only: the customer appears only as the
    first 8 characters of its keyed hash (`customer_ref`), enough to see that
    two contacts are the same customer, never enough to look anyone up. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('int_contacts_unioned') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

final as (

    select
        contact_id,
        contact_type,
        channel,
        left(customer_id, 8) as customer_ref,
        direction,
        initiated_by,
        is_proactive,
        coalesce(site_code, 'unassigned') as site_code,
        queue,
        agent_id,
        coalesce(team, 'unassigned') as team,
        work_mode,
        handled_by,
        outcome,
        started_at,
        started_local_at,
        contact_date,
        cast(contact_hour as integer) as contact_hour,
        cast({{ iso_weekday('started_local_at') }} as integer) as contact_weekday,
        is_handled,
        is_answered_by_agent,
        is_abandoned,
        is_short_abandon,
        -- offered as in mart_contacts_daily: inbound, reached a queue, not a short abandon
        direction = 'inbound' and is_queued and not is_short_abandon as is_offered,
        wait_seconds,
        connected_seconds,
        hold_seconds,
        wrap_seconds,
        transfer_count,
        coalesce(intent, 'unknown') as intent,
        predicted_intent,
        prediction_confidence,
        is_marked_unresolved,
        is_escalated_to_backoffice,
        sentiment_score

    from contacts

)

select * from final
