{#- Workforce productivity and quality per day x site x team x work mode
    (PRODUCT.md section 5): shifts scheduled, attended and unscheduled,
    logged-in and available seconds, agent-handled contacts and handle
    seconds per logged-in hour, one-contact resolution of the episodes the
    agents opened, CSAT and complaints per 10,000 handled contacts, and
    attendance (attended / scheduled shifts). Every rate as numerator and
    denominator; the home / office productivity ratio is
    (home numerator / home denominator) / (office numerator / office
    denominator) of contacts_per_logged_in_hour over any filter. -#}
with agent_days as (

    select * from {{ ref('int_agent_days_measured') }}

),

aggregated as (

    select
        activity_date,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month_start_date,
        site_code,
        team,
        work_mode,
        count(distinct case when logged_in_seconds > 0 then agent_id end) as logged_in_agent_count,
        cast(sum(scheduled_shift_count) as bigint) as scheduled_shift_count,
        cast(sum(attended_shift_count) as bigint) as attended_shift_count,
        cast(sum(unscheduled_shift_count) as bigint) as unscheduled_shift_count,
        cast(sum(logged_in_seconds) as bigint) as logged_in_seconds,
        cast(sum(available_seconds) as bigint) as available_seconds,
        cast(sum(handled_contact_count) as bigint) as handled_contact_count,
        sum(handle_seconds) as handle_seconds,
        cast(sum(handled_contact_count) as bigint) as contacts_per_logged_in_hour_numerator,
        cast(sum(logged_in_seconds) as {{ type_double() }}) / 3600 as contacts_per_logged_in_hour_denominator,
        sum(handle_seconds) as handle_seconds_per_logged_in_hour_numerator,
        cast(sum(logged_in_seconds) as {{ type_double() }}) / 3600 as handle_seconds_per_logged_in_hour_denominator,
        cast(sum(attended_shift_count) as bigint) as attendance_rate_numerator,
        cast(sum(scheduled_shift_count) as bigint) as attendance_rate_denominator,
        cast(sum(fcr_resolved_episode_count) as bigint) as fcr_numerator,
        cast(sum(fcr_episode_count) as bigint) as fcr_denominator,
        cast(sum(censored_episode_count) as bigint) as censored_episode_count,
        cast(sum(csat_satisfied_count) as bigint) as csat_rate_numerator,
        cast(sum(csat_response_count) as bigint) as csat_rate_denominator,
        cast(sum(complaint_count) as bigint) as complaints_per_10k_numerator,
        cast(sum(handled_contact_count) as bigint) as complaints_per_10k_denominator

    from agent_days
    group by activity_date, site_code, team, work_mode

),

final as (

    select
        aggregated.*,
        aggregated.contacts_per_logged_in_hour_numerator
            / nullif(aggregated.contacts_per_logged_in_hour_denominator, 0) as contacts_per_logged_in_hour,
        aggregated.handle_seconds_per_logged_in_hour_numerator
            / nullif(aggregated.handle_seconds_per_logged_in_hour_denominator, 0)
            as handle_seconds_per_logged_in_hour,
        cast(aggregated.attendance_rate_numerator as {{ type_double() }})
            / nullif(aggregated.attendance_rate_denominator, 0) as attendance_rate,
        cast(aggregated.fcr_numerator as {{ type_double() }}) / nullif(aggregated.fcr_denominator, 0) as fcr,
        cast(aggregated.csat_rate_numerator as {{ type_double() }})
            / nullif(aggregated.csat_rate_denominator, 0) as csat_rate,
        10000.0 * aggregated.complaints_per_10k_numerator
            / nullif(aggregated.complaints_per_10k_denominator, 0) as complaints_per_10k

    from aggregated
    order by aggregated.activity_date

)

select * from final
