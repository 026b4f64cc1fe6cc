{#- Each known customer_ref of fct_contacts with a number: 0, 1, 2, ...
    in the order the refs first reached the warehouse (a full build: by
    ref). The dashboard's customer marts count distinct customers as the
    bits set by bitstring_agg(customer_number), so the numbers must be
    dense; they need not mean anything else.

    Incremental: a stored ref keeps its number, so the rows of
    mart_dashboard_customer_hours and _customer_days outside the days a
    build recomputes stay valid; refs first seen in the recomputed
    contacts are appended after the largest number (DECISIONLOG.md,
    "Incremental builds": equal to a full rebuild up to this numbering). -#}
{{ config(**serviq_incremental(none)) }}
with contacts as (

    select * from {{ ref('fct_contacts') }}
    where customer_ref is not null
    {%- if serviq_is_partial() %}
        and contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

refs as (

    select distinct customer_ref
    from contacts

),

{%- if is_incremental() %}

new_refs as (

    -- refs this build sees for the first time
    select refs.customer_ref
    from refs
    left join {{ this }} as numbered
        on refs.customer_ref = numbered.customer_ref
    where numbered.customer_ref is null

),

final as (

    select
        customer_ref,
        cast(
            (select coalesce(max(numbered.customer_number), -1) from {{ this }} as numbered)
            + row_number() over (order by customer_ref)
            as integer
        ) as customer_number

    from new_refs

)

{%- else %}

final as (

    select
        customer_ref,
        cast(row_number() over (order by customer_ref) - 1 as integer) as customer_number

    from refs

)

{%- endif %}

select * from final
