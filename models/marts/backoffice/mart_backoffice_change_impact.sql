{#- Change impact: for each dated intervention (seed interventions), the
    difference in mean processing time per completed item (received ->
    completed) of its business type, items received in the
    change_impact_window_days before the effective date against those
    received in the same number of days from it, with a Welch 95%
    confidence interval. The t quantile uses the Cornish-Fisher expansion
    in 1/df (within 0.8% of the exact quantile at df = 2, 0.01% from df = 5;
    no CI below df = 2), so the model needs no engine statistics
    functions. -#}
{%- set window_days = var('change_impact_window_days', 28) -%}
{#- 97.5% normal quantile and the Cornish-Fisher coefficients for Student's t -#}
{%- set z = 1.959963984540054 -%}
{%- set g1 = (z ** 3 + z) / 4 -%}
{%- set g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96 -%}
{%- set g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384 -%}
{%- set g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160 -%}
with interventions as (

    select * from {{ ref('interventions') }}

),

items as (

    select * from {{ ref('int_backoffice_items_measured') }}

),

data_span as (

    select
        min(received_date) as first_received_date,
        max(received_date) as last_received_date

    from items

),

windowed as (

    select
        interventions.intervention_id,
        case
            when items.received_date < cast(interventions.effective_date as date) then 'before'
            else 'after'
        end as period,
        items.processing_seconds

    from interventions
    inner join items
        on items.business_type = interventions.business_type
        and items.received_date >= cast(interventions.effective_date as date) - {{ window_days }}
        and items.received_date < cast(interventions.effective_date as date) + {{ window_days }}
    where items.is_completed

),

periods as (

    select
        intervention_id,
        count(case when period = 'before' then 1 end) as before_item_count,
        avg(case when period = 'before' then processing_seconds end) as before_mean_processing_seconds,
        var_samp(case when period = 'before' then processing_seconds end) as before_variance,
        count(case when period = 'after' then 1 end) as after_item_count,
        avg(case when period = 'after' then processing_seconds end) as after_mean_processing_seconds,
        var_samp(case when period = 'after' then processing_seconds end) as after_variance

    from windowed
    group by intervention_id

),

welch as (

    select
        periods.*,
        after_mean_processing_seconds - before_mean_processing_seconds as difference_seconds,
        before_variance / nullif(before_item_count, 0) as before_squared_error,
        after_variance / nullif(after_item_count, 0) as after_squared_error

    from periods

),

degrees as (

    select
        welch.*,
        sqrt(before_squared_error + after_squared_error) as standard_error_seconds,
        (before_squared_error + after_squared_error) * (before_squared_error + after_squared_error)
            / nullif(
                before_squared_error * before_squared_error / nullif(before_item_count - 1, 0)
                + after_squared_error * after_squared_error / nullif(after_item_count - 1, 0),
                0
            ) as welch_degrees_of_freedom

    from welch

),

quantile as (

    select
        degrees.*,
        case
            when welch_degrees_of_freedom >= 2 then
                {{ z }}
                + {{ g1 }} / welch_degrees_of_freedom
                + {{ g2 }} / (welch_degrees_of_freedom * welch_degrees_of_freedom)
                + {{ g3 }} / (welch_degrees_of_freedom * welch_degrees_of_freedom * welch_degrees_of_freedom)
                + {{ g4 }} / (welch_degrees_of_freedom * welch_degrees_of_freedom
                    * welch_degrees_of_freedom * welch_degrees_of_freedom)
        end as t_quantile_975

    from degrees

),

final as (

    select
        interventions.intervention_id,
        interventions.business_type,
        cast(interventions.effective_date as date) as effective_date,
        interventions.name_zh,
        interventions.name_en,
        {{ window_days }} as window_days,
        cast(interventions.effective_date as date) - {{ window_days }} as before_from_date,
        cast(interventions.effective_date as date) - 1 as before_to_date,
        cast(interventions.effective_date as date) as after_from_date,
        cast(interventions.effective_date as date) + {{ window_days - 1 }} as after_to_date,
        -- days of each window the data actually covers
        greatest(0, {{ dbt.datediff(
            'greatest(cast(interventions.effective_date as date) - ' ~ window_days ~ ', data_span.first_received_date)',
            'least(cast(interventions.effective_date as date) - 1, data_span.last_received_date)',
            'day') }} + 1)
            as before_days_observed,
        greatest(0, {{ dbt.datediff(
            'greatest(cast(interventions.effective_date as date), data_span.first_received_date)',
            'least(cast(interventions.effective_date as date) + ' ~ (window_days - 1) ~ ', data_span.last_received_date)',
            'day') }} + 1)
            as after_days_observed,
        coalesce(quantile.before_item_count, 0) as before_item_count,
        coalesce(quantile.after_item_count, 0) as after_item_count,
        quantile.before_mean_processing_seconds,
        quantile.after_mean_processing_seconds,
        sqrt(quantile.before_variance) as before_sd_processing_seconds,
        sqrt(quantile.after_variance) as after_sd_processing_seconds,
        quantile.difference_seconds,
        quantile.difference_seconds / nullif(quantile.before_mean_processing_seconds, 0)
            as relative_difference,
        quantile.standard_error_seconds,
        quantile.welch_degrees_of_freedom,
        quantile.t_quantile_975,
        {{ round_double('quantile.difference_seconds - quantile.t_quantile_975 * quantile.standard_error_seconds', 2) }}
            as ci95_lower_seconds,
        {{ round_double('quantile.difference_seconds + quantile.t_quantile_975 * quantile.standard_error_seconds', 2) }}
            as ci95_upper_seconds

    from interventions
    cross join data_span
    left join quantile
        on interventions.intervention_id = quantile.intervention_id

)

select * from final
