{#- One row per contact-centre agent, day and work mode: the logged-in
    shift (scheduled or not, worked or absent) and what the agent handled
    that day: agent-handled contacts, handle seconds, complaints and CSAT
    answers on them, and the one-contact resolution of the episodes the
    agent opened. A contact belongs to the agent's shift of its own date, or
    to the previous day's shift when the agent has none that date (a night
    shift running past midnight). The day's work mode is the shift's;
    contacts outside any shift keep the call's own work mode.
    Incremental: a run recomputes the agent-days of serviq_agent_day_set()
    whole, reading the shifts a day either side and the contacts and
    episodes of those days and the day after. -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook="{{ serviq_delete_agent_days() }}") }}
-- depends_on: {{ ref('fct_episodes') }}
{%- set partial = serviq_is_partial() %}
{%- set day_set = serviq_agent_day_set() if partial else none %}
with shifts as (

    select * from {{ ref('stg_serviq__agent_shifts') }}
    {%- if partial %}
    where {{ serviq_in_day_set('shift_date', day_set, [-1, 0, 1]) }}
    {%- endif %}

),

contacts as (

    select * from {{ ref('int_contacts_classified_for_hotline') }}
    {%- if partial %}
    where {{ serviq_in_day_set('contact_date', day_set, [0, 1]) }}
    {%- endif %}

),

episodes as (

    select * from {{ ref('int_episodes_assembled') }}
    {%- if partial %}
    where {{ serviq_in_day_set('episode_date', day_set, [0, 1]) }}
    {%- endif %}

),

agents as (

    select * from {{ ref('int_agents_history') }}

),

worked_shifts as (

    select
        agent_id,
        shift_date,
        work_mode

    from shifts
    where logged_in_seconds > 0

),

agent_contacts as (

    select
        contact_id,
        agent_id,
        contact_date,
        work_mode,
        handle_seconds,
        complaint_count,
        csat_response_count,
        csat_satisfied_count

    from contacts
    where is_answered_by_agent
        and agent_id <> 'unassigned'

),

contacts_on_shifts as (

    select
        agent_contacts.contact_id,
        agent_contacts.agent_id,
        case
            when same_day.agent_id is not null then agent_contacts.contact_date
            when previous_day.agent_id is not null then previous_day.shift_date
            else agent_contacts.contact_date
        end as activity_date,
        coalesce(
            same_day.work_mode,
            previous_day.work_mode,
            nullif(agent_contacts.work_mode, 'unassigned'),
            'unknown'
        ) as work_mode,
        agent_contacts.handle_seconds,
        agent_contacts.complaint_count,
        agent_contacts.csat_response_count,
        agent_contacts.csat_satisfied_count

    from agent_contacts
    left join worked_shifts as same_day
        on agent_contacts.agent_id = same_day.agent_id
        and agent_contacts.contact_date = same_day.shift_date
    left join worked_shifts as previous_day
        on agent_contacts.agent_id = previous_day.agent_id
        and agent_contacts.contact_date = previous_day.shift_date + 1

),

contact_days as (

    select
        agent_id,
        activity_date,
        work_mode,
        count(*) as handled_contact_count,
        coalesce(sum(handle_seconds), 0) as handle_seconds,
        count(handle_seconds) as timed_contact_count,
        sum(complaint_count) as complaint_count,
        sum(csat_response_count) as csat_response_count,
        sum(csat_satisfied_count) as csat_satisfied_count

    from contacts_on_shifts
    group by agent_id, activity_date, work_mode

),

-- episodes count for the agent and day of their first handled contact
episode_days as (

    select
        contacts_on_shifts.agent_id,
        contacts_on_shifts.activity_date,
        contacts_on_shifts.work_mode,
        count(case when not episodes.is_censored then 1 end) as fcr_episode_count,
        count(case when not episodes.is_censored and episodes.is_one_contact_resolution then 1 end)
            as fcr_resolved_episode_count,
        count(case when episodes.is_censored then 1 end) as censored_episode_count

    from episodes
    inner join contacts_on_shifts
        on episodes.first_contact_id = contacts_on_shifts.contact_id
    group by contacts_on_shifts.agent_id, contacts_on_shifts.activity_date, contacts_on_shifts.work_mode

),

shift_days as (

    select
        agent_id,
        shift_date as activity_date,
        coalesce(work_mode, 'unknown') as work_mode,
        count(case when is_scheduled then 1 end) as scheduled_shift_count,
        count(case when is_scheduled and logged_in_seconds > 0 then 1 end) as attended_shift_count,
        count(case when not is_scheduled and logged_in_seconds > 0 then 1 end) as unscheduled_shift_count,
        sum(logged_in_seconds) as logged_in_seconds,
        sum(available_seconds) as available_seconds

    from shifts
    group by agent_id, shift_date, coalesce(work_mode, 'unknown')

),

agent_day_keys as (

    select agent_id, activity_date, work_mode from shift_days
    union
    select agent_id, activity_date, work_mode from contact_days

),

final as (

    select
        agent_day_keys.agent_id,
        agent_day_keys.activity_date,
        agent_day_keys.work_mode,
        coalesce(agents.site_code, 'unassigned') as site_code,
        coalesce(agents.team, 'unassigned') as team,
        coalesce(shift_days.scheduled_shift_count, 0) as scheduled_shift_count,
        coalesce(shift_days.attended_shift_count, 0) as attended_shift_count,
        coalesce(shift_days.unscheduled_shift_count, 0) as unscheduled_shift_count,
        coalesce(shift_days.logged_in_seconds, 0) as logged_in_seconds,
        coalesce(shift_days.available_seconds, 0) as available_seconds,
        coalesce(contact_days.handled_contact_count, 0) as handled_contact_count,
        coalesce(contact_days.handle_seconds, 0) as handle_seconds,
        coalesce(contact_days.timed_contact_count, 0) as timed_contact_count,
        coalesce(contact_days.complaint_count, 0) as complaint_count,
        coalesce(contact_days.csat_response_count, 0) as csat_response_count,
        coalesce(contact_days.csat_satisfied_count, 0) as csat_satisfied_count,
        coalesce(episode_days.fcr_episode_count, 0) as fcr_episode_count,
        coalesce(episode_days.fcr_resolved_episode_count, 0) as fcr_resolved_episode_count,
        coalesce(episode_days.censored_episode_count, 0) as censored_episode_count

    from agent_day_keys
    left join shift_days
        on agent_day_keys.agent_id = shift_days.agent_id
        and agent_day_keys.activity_date = shift_days.activity_date
        and agent_day_keys.work_mode = shift_days.work_mode
    left join contact_days
        on agent_day_keys.agent_id = contact_days.agent_id
        and agent_day_keys.activity_date = contact_days.activity_date
        and agent_day_keys.work_mode = contact_days.work_mode
    left join episode_days
        on agent_day_keys.agent_id = episode_days.agent_id
        and agent_day_keys.activity_date = episode_days.activity_date
        and agent_day_keys.work_mode = episode_days.work_mode
    left join agents
        on agent_day_keys.agent_id = agents.agent_id
        and agent_day_keys.activity_date >= agents.valid_from
        and agent_day_keys.activity_date <= agents.valid_to
    {%- if partial %}
    where {{ serviq_in_day_set('agent_day_keys.activity_date', day_set) }}
    {%- endif %}

)

select * from final
