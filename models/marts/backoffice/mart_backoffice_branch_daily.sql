{#- Back-office figures per day of receipt x business type x sending
    branch: the same measures as mart_backoffice_daily, for the branch
    view (which branches send work that is rejected, returned or late). -#}
with items as (

    select * from {{ ref('int_backoffice_items_measured') }}

),

final as (

    select
        received_date,
        received_week_start_date,
        business_type,
        branch_id,
        {{ backoffice_measures() }}

    from items
    group by
        received_date,
        received_week_start_date,
        business_type,
        branch_id
    order by received_date

)

select * from final
