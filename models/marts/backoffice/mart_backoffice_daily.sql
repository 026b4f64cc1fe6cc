{#- Back-office figures (PRODUCT.md section 4) per day of receipt x
    business type x shift x reviewer (reporting time zone): volume,
    processing time (received -> completed), review time (started ->
    completed), rejection and return rate (拒绝退回率), overtime rate (超时率)
    and first-time-right rate, each rate as numerator and denominator.
    Items are counted on the day they were received (a cohort view: a
    day's overtime and outcomes are those of the work that arrived that day). -#}
with items as (

    select * from {{ ref('int_backoffice_items_measured') }}

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
