{#- One row per known customer and day with a contact, with the customer's
    previous day with a contact. The distinct customers of a date range
    [start, end] over all contacts are then the rows inside the range whose
    previous day is before the start (or absent): each customer is counted
    once, on their first day in the range, by a filtered count instead of a
    count(distinct). Explore uses it when nothing but dates restricts the
    selection (an every-site viewer, no site/channel/intent/team filter). -#}
with customer_hours as (

    select * from {{ ref('mart_dashboard_customer_hours') }}

),

customer_days as (

    select distinct
        customer_number,
        contact_date

    from customer_hours
    where customer_number is not null

),

final as (

    select
        customer_number,
        contact_date,
        lag(contact_date) over (
            partition by customer_number order by contact_date
        ) as previous_contact_date

    from customer_days

)

select * from final
