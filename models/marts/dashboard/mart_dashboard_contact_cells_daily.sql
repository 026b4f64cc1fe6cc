{#- Contacts per day and filter cell (site, channel, intent, team): the
    sidebar's choices and date bounds in one read of ~130k rows (10M
    contacts) instead of five scans of fct_contacts, and Explore's counts
    (contacts, handled, abandoned, mean wait) for buckets made of these
    columns. Scoped viewers read it restricted to their sites like any
    mart, so they are offered only what they may see. Incremental by day:
    the days fct_contacts recomputes. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('fct_contacts') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

final as (

    select
        contact_date,
        contact_weekday,
        site_code,
        channel,
        intent,
        team,
        count(*) as contact_count,
        count(*) filter (where is_handled) as handled_count,
        count(*) filter (where is_abandoned and not is_short_abandon) as abandoned_count,
        sum(wait_seconds) as mean_wait_seconds_numerator,
        count(wait_seconds) as mean_wait_seconds_denominator

    from contacts
    group by contact_date, contact_weekday, site_code, channel, intent, team

)

select * from final
