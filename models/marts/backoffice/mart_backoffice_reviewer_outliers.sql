{#- Reviewer outliers (多次偏离均值): per reviewer, business type and ISO
    week, the z-scores of mean review time and of rejection rate against
    the same business type's peers that week, whether each deviates
    (|z| > outlier_z_threshold), how many of the last outlier_lookback_weeks
    calendar weeks (this one included) deviated on each measure, and the
    flag: at least outlier_min_deviating_weeks of them on the same measure.
    A week without a score (too few items or peers) counts as not
    deviating. -#}
{%- set z_threshold = var('outlier_z_threshold', 2) -%}
{%- set lookback_weeks = var('outlier_lookback_weeks', 4) -%}
{%- set min_weeks = var('outlier_min_deviating_weeks', 3) -%}
with scored as (

    select * from {{ ref('int_reviewer_weeks_scored') }}

),

deviations as (

    select
        scored.*,
        cast({{ dbt.datediff("cast('1970-01-05' as date)", 'scored.week_start_date', 'day') }} / 7 as integer)
            as week_number,
        coalesce(abs(scored.review_time_z) > {{ z_threshold }}, false) as is_review_time_deviating,
        coalesce(abs(scored.rejection_rate_z) > {{ z_threshold }}, false) as is_rejection_rate_deviating

    from scored

),

rolling as (

    select
        deviations.*,
        sum(case when is_review_time_deviating then 1 else 0 end) over (
            partition by reviewer_id, business_type
            order by week_number
            range between {{ lookback_weeks - 1 }} preceding and current row
        ) as review_time_deviating_weeks,
        sum(case when is_rejection_rate_deviating then 1 else 0 end) over (
            partition by reviewer_id, business_type
            order by week_number
            range between {{ lookback_weeks - 1 }} preceding and current row
        ) as rejection_rate_deviating_weeks

    from deviations

),

latest as (

    select max(week_start_date) as latest_week_start_date
    from scored

),

final as (

    select
        rolling.reviewer_id,
        rolling.business_type,
        rolling.week_start_date,
        rolling.completed_count,
        rolling.rejected_count,
        rolling.mean_review_seconds,
        rolling.rejection_rate,
        rolling.peer_count,
        rolling.peer_mean_review_seconds,
        rolling.peer_sd_review_seconds,
        rolling.peer_rejection_rate,
        rolling.peer_sd_rejection_rate,
        rolling.review_time_z,
        rolling.rejection_rate_z,
        rolling.is_review_time_deviating,
        rolling.is_rejection_rate_deviating,
        rolling.review_time_deviating_weeks,
        rolling.rejection_rate_deviating_weeks,
        rolling.review_time_deviating_weeks >= {{ min_weeks }} as is_review_time_outlier,
        rolling.rejection_rate_deviating_weeks >= {{ min_weeks }} as is_rejection_rate_outlier,
        rolling.review_time_deviating_weeks >= {{ min_weeks }}
            or rolling.rejection_rate_deviating_weeks >= {{ min_weeks }} as is_outlier,
        rolling.week_start_date = latest.latest_week_start_date as is_latest_week

    from rolling
    cross join latest

)

select * from final
