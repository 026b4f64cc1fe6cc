{#- The home / office productivity ratio per day and site, with its four
    components so any date range or set of sites re-aggregates exactly:
    ratio = (home handled / home logged-in hours) / (office handled /
    office logged-in hours). Contacts and hours of days whose work mode is
    unknown are left out of both sides. -#}
with workforce as (

    select * from {{ ref('mart_workforce_daily') }}

),

aggregated as (

    select
        activity_date,
        site_code,
        sum(case when work_mode = 'home' then handled_contact_count else 0 end) as home_handled_contact_count,
        cast(sum(case when work_mode = 'home' then logged_in_seconds else 0 end) as {{ type_double() }}) / 3600
            as home_logged_in_hours,
        sum(case when work_mode = 'office' then handled_contact_count else 0 end) as office_handled_contact_count,
        cast(sum(case when work_mode = 'office' then logged_in_seconds else 0 end) as {{ type_double() }}) / 3600
            as office_logged_in_hours

    from workforce
    group by activity_date, site_code

),

final as (

    select
        aggregated.*,
        (aggregated.home_handled_contact_count / nullif(aggregated.home_logged_in_hours, 0))
            / nullif(aggregated.office_handled_contact_count / nullif(aggregated.office_logged_in_hours, 0), 0)
            as home_office_productivity_ratio

    from aggregated

)

select * from final
