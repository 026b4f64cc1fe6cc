{#- One row per known customer and day with a contact, with the customer's
    previous day with a contact. The distinct customers of a date range
    [start, end] over all contacts are then the rows inside the range whose
    previous day is before the start (or absent): each customer is counted
    once, on their first day in the range, by a filtered count instead of a
    count(distinct). Explore uses it when nothing but dates restricts the
    selection (an every-site viewer, no site/channel/intent/team filter).

    Incremental by day, like mart_dashboard_customer_hours: the recomputed
    days' rows, each customer's first one linked to its last stored day
    before them. -#}
{{ config(**serviq_incremental('contact_date')) }}
with customer_hours as (

    select * from {{ ref('mart_dashboard_customer_hours') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

customer_days as (

    select distinct
        customer_number,
        contact_date,
        false as is_earlier

    from customer_hours
    where customer_number is not null

),

{%- if serviq_is_partial() %}

earlier_days as (

    -- the last stored day before the recomputed ones of each customer in them
    select
        stored.customer_number,
        max(stored.contact_date) as contact_date,
        true as is_earlier

    from {{ this }} as stored
    where stored.contact_date < {{ serviq_recompute_from() }}
        and stored.customer_number in (select customer_days.customer_number from customer_days)
    group by stored.customer_number

),

{%- endif %}

linked as (

    select
        customer_number,
        contact_date,
        is_earlier,
        lag(contact_date) over (
            partition by customer_number order by contact_date
        ) as previous_contact_date

    from (
        select * from customer_days
        {%- if serviq_is_partial() %}
        union all
        select * from earlier_days
        {%- endif %}
    ) as days

),

final as (

    select
        customer_number,
        contact_date,
        previous_contact_date

    from linked
    where not is_earlier

)

select * from final
