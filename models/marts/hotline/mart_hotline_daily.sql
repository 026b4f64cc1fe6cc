{#- The classic hotline figures per day, site, queue, channel, intent, team
    and work mode (reporting time zone): the dashboard's hotline charts and
    the exports read this, never the contact grain. Every rate is stored as
    numerator and denominator (macros/hotline/hotline_measures.sql) so a
    week, a month or any filter combination re-aggregates exactly. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('int_contacts_classified_for_hotline') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('contact_date') }}
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
