{#- Explore's contacts per customer, hour and filter cell: the bucket
    summary (contacts, handled, abandoned, mean wait, distinct customers)
    and the bucket counts for every bucket the sidebar filters and the
    date/hour/weekday drill-downs can make, without reading fct_contacts.

    customer_number is the customer_ref's number in
    int_customer_refs_numbered (0, 1, 2, ...), so that the number of
    distinct customers of any selection is the number of bits set by
    bitstring_agg (exact, and ~10x cheaper than count(distinct) over the
    text). It is a bit position, not an identifier. Incremental by day: the
    numbers of stored refs never change, so only the days fct_contacts
    recomputes are rewritten. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('fct_contacts') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

numbered_customers as (

    select * from {{ ref('int_customer_refs_numbered') }}

),

final as (

    select
        contacts.contact_date,
        contacts.contact_hour,
        contacts.contact_weekday,
        contacts.site_code,
        contacts.channel,
        contacts.intent,
        contacts.team,
        numbered_customers.customer_number,
        count(*) as contact_count,
        count(*) filter (where contacts.is_handled) as handled_count,
        count(*) filter (
            where contacts.is_abandoned and not contacts.is_short_abandon
        ) as abandoned_count,
        sum(contacts.wait_seconds) as mean_wait_seconds_numerator,
        count(contacts.wait_seconds) as mean_wait_seconds_denominator

    from contacts
    left join numbered_customers
        on contacts.customer_ref = numbered_customers.customer_ref
    group by
        contacts.contact_date,
        contacts.contact_hour,
        contacts.contact_weekday,
        contacts.site_code,
        contacts.channel,
        contacts.intent,
        contacts.team,
        numbered_customers.customer_number

)

select * from final
