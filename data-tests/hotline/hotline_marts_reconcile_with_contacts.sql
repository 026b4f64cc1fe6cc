{#- Every contact lands in exactly one row of each hotline mart: contacts,
    offered, answered and abandoned add up to int_contacts_unioned in the
    daily and interval marts; the agent mart holds every contact with an
    agent, and so every answered one. Returns the measures that disagree (none = pass). -#}
with contacts as (

    select
        count(*) as contact_count,
        count(agent_id) as with_agent_count

    from {{ ref('int_contacts_unioned') }}

),

daily as (

    select
        sum(contact_count) as contact_count,
        sum(offered_count) as offered_count,
        sum(answered_count) as answered_count,
        sum(abandoned_count) as abandoned_count,
        sum(offered_count) - sum(answered_count) - sum(abandoned_count) - sum(callback_count)
            as unexplained_offered_count

    from {{ ref('mart_hotline_daily') }}

),

interval_totals as (

    select
        sum(contact_count) as contact_count,
        sum(offered_count) as offered_count,
        sum(answered_count) as answered_count,
        sum(abandoned_count) as abandoned_count

    from {{ ref('mart_hotline_interval') }}

),

agent_totals as (

    select
        sum(contact_count) as contact_count,
        sum(answered_count) as answered_count

    from {{ ref('mart_hotline_agent_daily') }}

),

checks as (

    select 'daily contacts' as measure, daily.contact_count as mart_value, contacts.contact_count as expected_value
    from daily cross join contacts
    union all
    select 'interval contacts', interval_totals.contact_count, contacts.contact_count
    from interval_totals cross join contacts
    union all
    select 'interval offered', interval_totals.offered_count, daily.offered_count
    from interval_totals cross join daily
    union all
    select 'interval answered', interval_totals.answered_count, daily.answered_count
    from interval_totals cross join daily
    union all
    select 'interval abandoned', interval_totals.abandoned_count, daily.abandoned_count
    from interval_totals cross join daily
    union all
    select 'offered = answered + abandoned + callback', daily.unexplained_offered_count, 0
    from daily
    union all
    select 'agent contacts', agent_totals.contact_count, contacts.with_agent_count
    from agent_totals cross join contacts
    union all
    select 'agent answered', agent_totals.answered_count, daily.answered_count
    from agent_totals cross join daily

)

select * from checks
where coalesce(mart_value, 0) <> coalesce(expected_value, 0)
