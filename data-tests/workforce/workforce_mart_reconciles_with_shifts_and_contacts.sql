{#- Every shift and every agent-handled contact lands in mart_workforce_daily
    exactly once: scheduled shifts, logged-in seconds and handled contacts
    add up. Returns the measures that disagree (none = pass). -#}
with shifts as (

    select
        count(case when is_scheduled then 1 end) as scheduled_shift_count,
        sum(logged_in_seconds) as logged_in_seconds

    from {{ ref('stg_serviq__agent_shifts') }}

),

contacts as (

    select count(*) as handled_contact_count
    from {{ ref('int_contacts_classified_for_hotline') }}
    where is_answered_by_agent
        and agent_id <> 'unassigned'

),

workforce as (

    select
        sum(scheduled_shift_count) as scheduled_shift_count,
        sum(logged_in_seconds) as logged_in_seconds,
        sum(handled_contact_count) as handled_contact_count

    from {{ ref('mart_workforce_daily') }}

),

checks as (

    select 'scheduled shifts' as measure, workforce.scheduled_shift_count as mart_value, shifts.scheduled_shift_count as expected_value
    from workforce cross join shifts
    union all
    select 'logged-in seconds', workforce.logged_in_seconds, shifts.logged_in_seconds
    from workforce cross join shifts
    union all
    select 'handled contacts', workforce.handled_contact_count, contacts.handled_contact_count
    from workforce cross join contacts

)

select * from checks
where coalesce(mart_value, 0) <> coalesce(expected_value, 0)
