{#- One row per contact with every flag and measure the classic hotline
    figures count (PRODUCT.md section 3): offered / answered / abandoned /
    callback, service level in the three abandon modes, waits and handle
    time, transfers, bot reach and containment, escalation, repeat contacts,
    survey answers and complaints linked to the contact. The hotline marts
    only sum these columns, so every rate re-aggregates. -#}
{%- set abandon_mode = var('service_level_abandon_mode') -%}
{%- if abandon_mode not in ('ignored', 'met', 'missed') -%}
    {{ exceptions.raise_compiler_error(
        "var service_level_abandon_mode must be one of ignored, met, missed; got '" ~ abandon_mode ~ "'"
    ) }}
{%- endif -%}
{{ config(**serviq_incremental('contact_id')) }}
with contacts as {{ cte_inlined() }} (

    select * from {{ ref('int_contacts_unioned') }} as unioned
    {%- if serviq_is_partial() %}
    -- a repeat looks back repeat_window_days: read that far, keep from
    -- recompute_from(); and the older contacts new surveys or complaints
    -- point to (their counts change, their repeat flags cannot: below)
    where {{ serviq_in_recompute('unioned.contact_date', var('repeat_window_days')) }}
        or {{ serviq_is_pointed('unioned', ['surveys', 'complaints']) }}
    {%- endif %}

),

surveys as (

    select * from {{ ref('stg_serviq__surveys') }}

),

complaints as (

    select * from {{ ref('stg_serviq__complaints') }}

),

surveys_per_contact as (

    select
        contact_id,
        count(nps_score) as nps_response_count,
        count(case when nps_score >= 9 then 1 end) as nps_promoter_count,
        count(case when nps_score <= 6 then 1 end) as nps_detractor_count,
        count(csat_score) as csat_response_count,
        count(case when csat_score >= 4 then 1 end) as csat_satisfied_count

    from surveys
    group by contact_id

),

complaints_per_contact as (

    select
        contact_id,
        count(*) as complaint_count

    from complaints
    where contact_id is not null
    group by contact_id

),

-- repeat contacts: handled, customer-initiated contacts of a known customer
-- with a final intent; a repeat when the same customer's previous such
-- contact on the same intent started at most repeat_window_days before it
repeat_eligible as (

    select
        contact_id,
        started_at,
        lag(started_at) over (
            partition by customer_id, intent
            order by started_at, contact_id
        ) as previous_started_at

    from contacts
    where is_handled
        and initiated_by = 'customer'
        and customer_id is not null
        and intent is not null

),

repeats as (

    select
        contact_id,
        true as is_repeat_eligible,
        coalesce(
            {{ seconds_between('previous_started_at', 'started_at') }}
                <= {{ var('repeat_window_days') }} * 86400,
            false
        ) as is_repeat

    from repeat_eligible
    {%- if serviq_is_partial() %}
    -- a pointed contact lies before every new contact, so its stored flags
    -- hold (it was read without its repeat window, so lag() cannot tell)
    where contact_id not in ({{ serviq_pointed('contact_id', ['surveys', 'complaints']) }})
    union all
    select
        stored.contact_id,
        stored.is_repeat_eligible,
        stored.is_repeat

    from {{ this }} as stored
    where stored.is_repeat_eligible
        and stored.contact_id in ({{ serviq_pointed('contact_id', ['surveys', 'complaints']) }})
    {%- endif %}

),

flagged as (

    select
        contacts.contact_id,
        contacts.contact_date,
        contacts.started_local_at,
        contacts.channel,
        coalesce(contacts.site_code, 'unassigned') as site_code,
        coalesce(contacts.queue, 'unassigned') as queue,
        -- final intent when known; otherwise the intent the contact was
        -- routed on (abandoned contacts carry no final disposition)
        coalesce(contacts.intent, contacts.predicted_intent, 'unknown') as intent,
        coalesce(contacts.team, 'unassigned') as team,
        coalesce(contacts.agent_id, 'unassigned') as agent_id,
        coalesce(contacts.work_mode, 'unassigned') as work_mode,
        contacts.contact_type = 'call' as is_call,
        contacts.is_handled,
        contacts.is_answered_by_agent,
        -- offered: inbound, reached an agent queue, not a short abandon; a
        -- contact the bot handled never waited for an agent
        contacts.direction = 'inbound'
            and contacts.is_queued
            and not contacts.is_short_abandon
            and coalesce(contacts.handled_by, 'agent') = 'agent'
            as is_offered,
        contacts.direction = 'inbound'
            and contacts.is_queued
            and contacts.is_short_abandon
            as is_queued_short_abandon,
        contacts.is_abandoned,
        contacts.is_callback_requested,
        contacts.wait_seconds,
        contacts.connected_seconds,
        contacts.hold_seconds,
        contacts.wrap_seconds,
        contacts.transfer_count,
        -- the AI (IVR voice bot or chat bot) engaged: it made a prediction or handled the contact
        contacts.direction = 'inbound'
            and (contacts.predicted_intent is not null or coalesce(contacts.handled_by, '') = 'bot')
            as is_bot_reached,
        coalesce(contacts.handled_by, '') = 'bot' as is_bot_contained,
        contacts.is_escalated_to_backoffice

    from contacts

),

classified as (

    select
        flagged.*,
        flagged.is_offered and flagged.is_answered_by_agent as is_answered,
        flagged.is_offered and flagged.is_abandoned as is_abandoned_offered,
        flagged.is_offered and flagged.is_callback_requested
            and not flagged.is_answered_by_agent as is_callback,
        coalesce(
            flagged.is_offered and flagged.is_answered_by_agent
                and flagged.wait_seconds <= {{ var('service_level_seconds') }},
            false
        ) as is_answered_within_threshold,
        coalesce(
            flagged.is_offered and flagged.is_abandoned
                and flagged.wait_seconds <= {{ var('service_level_seconds') }},
            false
        ) as is_abandoned_within_threshold

    from flagged

),

final as (

    select
        classified.contact_id,
        classified.contact_date,
        cast({{ dbt.date_trunc('week', 'classified.contact_date') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'classified.contact_date') }} as date) as month_start_date,
        cast({{ iso_weekday('classified.started_local_at') }} as integer) as contact_weekday,
        cast(
            extract(hour from classified.started_local_at) * 2
            + floor(extract(minute from classified.started_local_at) / 30)
            as integer
        ) as interval_index,
        classified.channel,
        classified.site_code,
        classified.queue,
        classified.intent,
        classified.team,
        classified.agent_id,
        classified.work_mode,
        classified.is_call,
        classified.is_handled,
        classified.is_answered_by_agent,
        classified.is_offered,
        classified.is_answered,
        classified.is_abandoned_offered,
        classified.is_queued_short_abandon,
        classified.is_callback,
        -- service level and ASA are telephone figures (service_level_seconds is a phone threshold)
        classified.is_call and classified.is_answered_within_threshold
            as is_answered_within_threshold,
        classified.is_call and classified.is_abandoned_within_threshold
            as is_abandoned_within_threshold,
        {%- if abandon_mode == 'met' %}
        classified.is_call
            and (classified.is_answered_within_threshold or classified.is_abandoned_within_threshold)
            as is_service_level_met,
        classified.is_call and classified.is_offered as is_service_level_counted,
        {%- elif abandon_mode == 'ignored' %}
        classified.is_call and classified.is_answered_within_threshold as is_service_level_met,
        classified.is_call and classified.is_offered
            and not classified.is_abandoned_within_threshold as is_service_level_counted,
        {%- else %}
        classified.is_call and classified.is_answered_within_threshold as is_service_level_met,
        classified.is_call and classified.is_offered as is_service_level_counted,
        {%- endif %}
        case
            when classified.is_call and classified.is_answered then classified.wait_seconds
        end as answered_wait_seconds,
        case
            when classified.is_answered_by_agent and classified.connected_seconds is not null
                then classified.connected_seconds
        end as connected_seconds,
        case
            when classified.is_answered_by_agent and classified.connected_seconds is not null
                then classified.connected_seconds - classified.hold_seconds
        end as talk_seconds,
        case
            when classified.is_answered_by_agent and classified.connected_seconds is not null
                then classified.hold_seconds
        end as hold_seconds,
        case
            when classified.is_answered_by_agent and classified.connected_seconds is not null
                then classified.wrap_seconds
        end as wrap_seconds,
        case
            when classified.is_answered_by_agent and classified.connected_seconds is not null
                then classified.connected_seconds + classified.wrap_seconds
        end as handle_seconds,
        classified.is_call and classified.is_answered_by_agent as is_transfer_counted,
        classified.is_call and classified.is_answered_by_agent
            and classified.transfer_count > 0 as is_transferred,
        classified.is_bot_reached,
        classified.is_bot_reached and classified.is_bot_contained as is_bot_contained,
        classified.is_handled and classified.is_escalated_to_backoffice as is_escalated,
        coalesce(repeats.is_repeat_eligible, false) as is_repeat_eligible,
        coalesce(repeats.is_repeat, false) as is_repeat,
        coalesce(complaints_per_contact.complaint_count, 0) as complaint_count,
        coalesce(surveys_per_contact.nps_response_count, 0) as nps_response_count,
        coalesce(surveys_per_contact.nps_promoter_count, 0) as nps_promoter_count,
        coalesce(surveys_per_contact.nps_detractor_count, 0) as nps_detractor_count,
        coalesce(surveys_per_contact.csat_response_count, 0) as csat_response_count,
        coalesce(surveys_per_contact.csat_satisfied_count, 0) as csat_satisfied_count

    from classified
    left join repeats
        on classified.contact_id = repeats.contact_id
    left join complaints_per_contact
        on classified.contact_id = complaints_per_contact.contact_id
    left join surveys_per_contact
        on classified.contact_id = surveys_per_contact.contact_id
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('classified.contact_date') }}
        or {{ serviq_is_pointed('classified', ['surveys', 'complaints']) }}
    {%- endif %}

)

select * from final
