{#- The classic hotline figures per agent, day and channel, with the
    agent's site, team and work mode that day: the agent drill-down and
    the workforce pages. Only contacts an agent answered or was routed
    (agent_id known) are here; bot and unanswered contacts live in
    mart_hotline_daily. -#}
{{ config(**serviq_incremental(none)) }}
{#- recomputes from incremental_since and the groups holding a contact a new
    survey or complaint points to; the pre-hook deletes those rows first -#}
{{ config(pre_hook="{{ serviq_delete_pointed_groups(['contact_date', 'agent_id', 'site_code', 'team', 'work_mode', 'channel'], 'int_contacts_classified_for_hotline', ['surveys', 'complaints']) }}") }}
with contacts as (

    select * from {{ ref('int_contacts_classified_for_hotline') }}
    where agent_id <> 'unassigned'
    {%- if serviq_is_partial() %}
        and ({{ serviq_in_recompute('contact_date') }}
            or {{ serviq_in_pointed_groups(['contact_date', 'agent_id', 'site_code', 'team', 'work_mode', 'channel'], ref('int_contacts_classified_for_hotline'), ['surveys', 'complaints']) }})
    {%- endif %}

),

aggregated as (

    select
        contact_date,
        week_start_date,
        month_start_date,
        agent_id,
        site_code,
        team,
        work_mode,
        channel,
        {{ hotline_measures() }}

    from contacts
    group by
        contact_date,
        week_start_date,
        month_start_date,
        agent_id,
        site_code,
        team,
        work_mode,
        channel

),

final as (

    select
        aggregated.*,
        {{ hotline_ratios('aggregated') }}

    from aggregated
    order by aggregated.contact_date

)

select * from final
