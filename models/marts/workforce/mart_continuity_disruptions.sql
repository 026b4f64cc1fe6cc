{#- Continuity (PRODUCT.md section 5): for each disruption (seed
    disruptions: site, starts_on, ends_on) and every site, telephone
    service level and answer rate during the disruption against the
    continuity_baseline_days (default 28) days before it, and the volume
    each site took on: offered calls during the disruption against what
    the baseline predicts for the same weekdays (mean offered per weekday
    in the baseline, summed over the disruption's days in the data). For
    the other sites, offered minus expected is the volume they absorbed;
    for the disrupted site it is the volume it lost. Only days inside the
    data count (during_days_observed). -#}
{%- set baseline_days = var('continuity_baseline_days', 28) -%}
with disruptions as (

    select * from {{ ref('disruptions') }}

),

hotline as (

    select * from {{ ref('mart_hotline_daily') }}

),

calendar as (

    select distinct contact_date
    from hotline

),

site_days as (

    select
        contact_date,
        site_code,
        cast(sum(offered_count) as bigint) as offered_count,
        cast(sum(answered_count) as bigint) as answered_count,
        cast(sum(service_level_numerator) as bigint) as service_level_numerator,
        cast(sum(service_level_denominator) as bigint) as service_level_denominator

    from hotline
    where channel = 'phone'
        and site_code <> 'unassigned'
    group by contact_date, site_code

),

sites as (

    select distinct site_code
    from site_days

),

disruption_days as (

    select
        disruptions.disruption_id,
        disruptions.site_code as disrupted_site_code,
        calendar.contact_date,
        cast({{ iso_weekday('calendar.contact_date') }} as integer) as weekday,
        case
            when calendar.contact_date >= cast(disruptions.starts_on as date) then 'during'
            else 'baseline'
        end as period

    from disruptions
    inner join calendar
        on calendar.contact_date >= cast(disruptions.starts_on as date) - {{ baseline_days }}
        and calendar.contact_date <= cast(disruptions.ends_on as date)

),

-- every site on every day of the two periods (a site with no calls that day counts 0)
site_period_days as (

    select
        disruption_days.disruption_id,
        disruption_days.disrupted_site_code,
        sites.site_code,
        disruption_days.contact_date,
        disruption_days.weekday,
        disruption_days.period,
        coalesce(site_days.offered_count, 0) as offered_count,
        coalesce(site_days.answered_count, 0) as answered_count,
        coalesce(site_days.service_level_numerator, 0) as service_level_numerator,
        coalesce(site_days.service_level_denominator, 0) as service_level_denominator

    from disruption_days
    cross join sites
    left join site_days
        on disruption_days.contact_date = site_days.contact_date
        and sites.site_code = site_days.site_code

),

baseline_weekdays as (

    select
        disruption_id,
        site_code,
        weekday,
        avg(offered_count) as mean_offered_count

    from site_period_days
    where period = 'baseline'
    group by disruption_id, site_code, weekday

),

periods as (

    select
        site_period_days.disruption_id,
        site_period_days.disrupted_site_code,
        site_period_days.site_code,
        count(case when site_period_days.period = 'baseline' then 1 end) as baseline_days_observed,
        count(case when site_period_days.period = 'during' then 1 end) as during_days_observed,
        cast(sum(case when site_period_days.period = 'baseline' then site_period_days.offered_count else 0 end) as bigint)
            as baseline_offered_count,
        cast(sum(case when site_period_days.period = 'during' then site_period_days.offered_count else 0 end) as bigint)
            as during_offered_count,
        sum(case when site_period_days.period = 'during' then baseline_weekdays.mean_offered_count else 0 end)
            as during_expected_offered_count,
        cast(sum(case when site_period_days.period = 'baseline' then site_period_days.answered_count else 0 end) as bigint)
            as baseline_answer_rate_numerator,
        cast(sum(case when site_period_days.period = 'during' then site_period_days.answered_count else 0 end) as bigint)
            as during_answer_rate_numerator,
        cast(sum(case when site_period_days.period = 'baseline' then site_period_days.service_level_numerator else 0 end) as bigint)
            as baseline_service_level_numerator,
        cast(sum(case when site_period_days.period = 'baseline' then site_period_days.service_level_denominator else 0 end) as bigint)
            as baseline_service_level_denominator,
        cast(sum(case when site_period_days.period = 'during' then site_period_days.service_level_numerator else 0 end) as bigint)
            as during_service_level_numerator,
        cast(sum(case when site_period_days.period = 'during' then site_period_days.service_level_denominator else 0 end) as bigint)
            as during_service_level_denominator

    from site_period_days
    left join baseline_weekdays
        on site_period_days.disruption_id = baseline_weekdays.disruption_id
        and site_period_days.site_code = baseline_weekdays.site_code
        and site_period_days.weekday = baseline_weekdays.weekday
    group by
        site_period_days.disruption_id,
        site_period_days.disrupted_site_code,
        site_period_days.site_code

),

totals as (

    select
        disruption_id,
        cast(sum(baseline_offered_count) as bigint) as all_sites_baseline_offered_count,
        cast(sum(during_offered_count) as bigint) as all_sites_during_offered_count

    from periods
    group by disruption_id

),

final as (

    select
        periods.disruption_id,
        disruptions.name_zh,
        disruptions.name_en,
        cast(disruptions.starts_on as date) as starts_on,
        cast(disruptions.ends_on as date) as ends_on,
        periods.site_code,
        periods.site_code = periods.disrupted_site_code as is_disrupted_site,
        {{ baseline_days }} as baseline_days,
        periods.baseline_days_observed,
        periods.during_days_observed,
        periods.baseline_offered_count,
        periods.during_offered_count,
        periods.during_expected_offered_count,
        periods.during_offered_count - periods.during_expected_offered_count as absorbed_offered_count,
        periods.baseline_offered_count as baseline_answer_rate_denominator,
        periods.baseline_answer_rate_numerator,
        periods.during_offered_count as during_answer_rate_denominator,
        periods.during_answer_rate_numerator,
        periods.baseline_service_level_numerator,
        periods.baseline_service_level_denominator,
        periods.during_service_level_numerator,
        periods.during_service_level_denominator,
        cast(periods.baseline_answer_rate_numerator as {{ type_double() }})
            / nullif(periods.baseline_offered_count, 0) as baseline_answer_rate,
        cast(periods.during_answer_rate_numerator as {{ type_double() }})
            / nullif(periods.during_offered_count, 0) as during_answer_rate,
        cast(periods.baseline_service_level_numerator as {{ type_double() }})
            / nullif(periods.baseline_service_level_denominator, 0) as baseline_service_level,
        cast(periods.during_service_level_numerator as {{ type_double() }})
            / nullif(periods.during_service_level_denominator, 0) as during_service_level,
        cast(periods.baseline_offered_count as {{ type_double() }})
            / nullif(totals.all_sites_baseline_offered_count, 0) as baseline_offered_share,
        cast(periods.during_offered_count as {{ type_double() }})
            / nullif(totals.all_sites_during_offered_count, 0) as during_offered_share

    from periods
    inner join disruptions
        on periods.disruption_id = disruptions.disruption_id
    inner join totals
        on periods.disruption_id = totals.disruption_id

)

select * from final
