{#- Every combination of filter values the dashboard offers (site, channel,
    intent, team) with the first and last day it occurs: the sidebar's
    choices and date bounds in one read of a few thousand rows instead of
    five scans of fct_contacts. Scoped viewers read it restricted to their
    sites like any mart, so they are offered only what they may see. -#}
with contacts as (

    select * from {{ ref('fct_contacts') }}

),

final as (

    select
        site_code,
        channel,
        intent,
        team,
        min(contact_date) as first_contact_date,
        max(contact_date) as last_contact_date,
        count(*) as contact_count

    from contacts
    group by site_code, channel, intent, team

)

select * from final
