{#- Back-office figures (PRODUCT.md section 4) per day of receipt x
    business type x shift x reviewer (reporting time zone): volume,
    processing time (received -> completed), review time (started ->
    completed), rejection and return rate (拒绝退回率), overtime rate (超时率)
    and first-time-right rate, each rate as numerator and denominator.
    Items are counted on the day they were received (a cohort view: a
    day's overtime and outcomes are those of the work that arrived that day).
    Incremental by day of receipt: a run recomputes the days of the items
    it recomputed (serviq_backoffice_days). -#}
{{ config(**serviq_incremental('received_date')) }}
-- depends_on: {{ ref('stg_serviq__backoffice_items') }}
with items as (

    select * from {{ ref('int_backoffice_items_measured') }}
    {%- if serviq_backoffice_partial() %}
    where {{ serviq_in_backoffice_days('received_date') }}
    {%- endif %}

),

final as (

    select
        received_date,
        received_week_start_date,
        business_type,
        shift,
        reviewer_id,
        {{ backoffice_measures() }}

    from items
    group by
        received_date,
        received_week_start_date,
        business_type,
        shift,
        reviewer_id
    order by received_date

)

select * from final
