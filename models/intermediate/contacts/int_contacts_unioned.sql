{#- Every contact, calls and online tickets alike, in one shape.
    The base of every contact metric: channel, customer, initiator,
    handled / abandoned, resolution and escalation facts, waits, and the
    agent's site and team as of the contact date (reporting time zone). -#}
{{ config(**serviq_incremental('contact_date')) }}
with calls as (

    select * from {{ ref('stg_serviq__calls') }}
    {%- if serviq_is_partial() %}
    -- skips the stored calls before the recomputed days (the local date is
    -- compared below)
    where {{ serviq_instant_from('ivr_started_at') }}
    {%- endif %}

),

tickets as (

    select * from {{ ref('stg_serviq__tickets') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_instant_from('created_at') }}
    {%- endif %}

),

agents as (

    select * from {{ ref('int_agents_history') }}

),

calls_shaped as (

    select
        call_id as contact_id,
        'call' as contact_type,
        'phone' as channel,
        customer_id,
        direction,
        initiated_by,
        site_code as contact_site_code,
        queue,
        agent_id,
        work_mode,
        case
            when outcome = 'bot_contained' then 'bot'
            when answered_at is not null then 'agent'
        end as handled_by,
        outcome,
        ivr_started_at as started_at,
        queued_at,
        answered_at as responded_at,
        ended_at,
        outcome in ('answered', 'bot_contained') as is_handled,
        answered_at is not null as is_answered_by_agent,
        outcome in ('abandoned', 'short_abandon') as is_abandoned,
        outcome = 'callback' as is_callback_requested,
        queued_at is not null as is_queued,
        case
            when queued_at is not null
                then {{ seconds_between('queued_at', 'coalesce(answered_at, ended_at)') }}
        end as wait_seconds,
        case
            when answered_at is not null
                then {{ seconds_between('answered_at', 'ended_at') }}
        end as connected_seconds,
        hold_seconds,
        wrap_seconds,
        transfer_count,
        intent,
        predicted_intent,
        prediction_confidence,
        is_resolved_by_agent = false as is_marked_unresolved,
        is_escalated_to_backoffice,
        sentiment_score

    from calls

),

tickets_shaped as (

    select
        ticket_id as contact_id,
        'ticket' as contact_type,
        channel,
        customer_id,
        case when initiated_by = 'company' then 'outbound' else 'inbound' end as direction,
        initiated_by,
        cast(null as {{ dbt.type_string() }}) as contact_site_code,
        cast(null as {{ dbt.type_string() }}) as queue,
        agent_id,
        cast(null as {{ dbt.type_string() }}) as work_mode,
        case when first_response_at is not null then coalesce(handled_by, 'agent') end
            as handled_by,
        case
            when first_response_at is null then 'unanswered'
            when handled_by = 'bot' then 'bot_contained'
            else 'answered'
        end as outcome,
        created_at as started_at,
        created_at as queued_at,
        first_response_at as responded_at,
        coalesce(solved_at, first_response_at, created_at) as ended_at,
        first_response_at is not null as is_handled,
        first_response_at is not null and coalesce(handled_by, 'agent') = 'agent'
            as is_answered_by_agent,
        first_response_at is null as is_abandoned,
        false as is_callback_requested,
        true as is_queued,
        case
            when first_response_at is not null
                then {{ seconds_between('created_at', 'first_response_at') }}
        end as wait_seconds,
        cast(null as {{ type_double() }}) as connected_seconds,
        0 as hold_seconds,
        0 as wrap_seconds,
        0 as transfer_count,
        intent,
        predicted_intent,
        prediction_confidence,
        reopened_count > 0 or status in ('new', 'open', 'pending') as is_marked_unresolved,
        is_escalated_to_backoffice,
        cast(null as {{ type_double() }}) as sentiment_score

    from tickets

),

unioned as (

    select * from calls_shaped
    union all
    select * from tickets_shaped

),

localised as (

    select
        unioned.*,
        {{ to_local('unioned.started_at') }} as started_local_at,
        cast({{ to_local('unioned.started_at') }} as date) as contact_date

    from unioned

),

final as (

    select
        localised.contact_id,
        localised.contact_type,
        localised.channel,
        localised.customer_id,
        localised.direction,
        localised.initiated_by,
        localised.initiated_by = 'company' as is_proactive,
        coalesce(localised.contact_site_code, agents.site_code) as site_code,
        localised.queue,
        localised.agent_id,
        agents.team,
        localised.work_mode,
        localised.handled_by,
        localised.outcome,
        localised.started_at,
        localised.queued_at,
        localised.responded_at,
        localised.ended_at,
        localised.started_local_at,
        localised.contact_date,
        extract(hour from localised.started_local_at) as contact_hour,
        localised.is_handled,
        localised.is_answered_by_agent,
        localised.is_abandoned,
        localised.is_abandoned
            and localised.is_queued
            and localised.wait_seconds < {{ var('short_abandon_seconds') }}
            and localised.contact_type = 'call'
            as is_short_abandon,
        localised.is_callback_requested,
        localised.is_queued,
        localised.wait_seconds,
        localised.connected_seconds,
        localised.hold_seconds,
        localised.wrap_seconds,
        localised.transfer_count,
        localised.intent,
        localised.predicted_intent,
        localised.prediction_confidence,
        coalesce(localised.is_marked_unresolved, false) as is_marked_unresolved,
        localised.is_escalated_to_backoffice,
        localised.sentiment_score

    from localised
    left join agents
        on localised.agent_id = agents.agent_id
        and localised.contact_date >= agents.valid_from
        and localised.contact_date <= agents.valid_to
    {%- if serviq_is_partial() %}
    where localised.contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

)

select * from final
