{#- The sidebar's catalogue: every combination of the filter dimensions
    (site, channel, intent, team) that has a contact, with its first and
    last day. The date bounds and each dimension's choices a viewer may see
    are one read of a few thousand rows (10M contacts) restricted to the
    viewer's sites, instead of ~130k contact cells on every page. -#}
with contact_cells as (

    select * from {{ ref('mart_dashboard_contact_cells_daily') }}

),

final as (

    select
        site_code,
        channel,
        intent,
        team,
        min(contact_date) as first_contact_date,
        max(contact_date) as last_contact_date,
        sum(contact_count) as contact_count

    from contact_cells
    group by site_code, channel, intent, team

)

select * from final
