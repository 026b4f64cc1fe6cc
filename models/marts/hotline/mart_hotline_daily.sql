{#- The classic hotline figures per day, site, queue, channel, intent, team
    and work mode (reporting time zone): the dashboard's hotline charts and
    the exports read this, never the contact grain. Every rate is stored as
    numerator and denominator (macros/hotline/hotline_measures.sql) so a
    week, a month or any filter combination re-aggregates exactly. -#}
{{ config(**serviq_incremental(none)) }}
{#- recomputes from incremental_since and the groups holding a contact a new
    survey or complaint points to; the pre-hook deletes those rows first -#}
{{ config(pre_hook="{{ serviq_delete_pointed_groups(['contact_date', 'site_code', 'queue', 'channel', 'intent', 'team', 'work_mode'], 'int_contacts_classified_for_hotline', ['surveys', 'complaints']) }}") }}
with contacts as (

    select * from {{ ref('int_contacts_classified_for_hotline') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('contact_date') }}
        or {{ serviq_in_pointed_groups(['contact_date', 'site_code', 'queue', 'channel', 'intent', 'team', 'work_mode'], ref('int_contacts_classified_for_hotline'), ['surveys', 'complaints']) }}
    {%- endif %}

),

aggregated as (

    select
        contact_date,
        week_start_date,
        month_start_date,
        site_code,
        queue,
        channel,
        intent,
        team,
        work_mode,
        {{ hotline_measures() }}

    from contacts
    group by
        contact_date,
        week_start_date,
        month_start_date,
        site_code,
        queue,
        channel,
        intent,
        team,
        work_mode

),

final as (

    select
        aggregated.*,
        {{ hotline_ratios('aggregated') }}

    from aggregated
    -- stored in date order so date-range filters skip whole row groups
    order by aggregated.contact_date

)

select * from final
