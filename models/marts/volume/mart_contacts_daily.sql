{#- Daily contacts by site and channel (reporting time zone): volume,
    offered, answered, abandoned, and the answer rate (接通率) stored as
    numerator and denominator so any roll-up re-aggregates correctly. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('int_contacts_unioned') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

classified as (

    select
        contact_date,
        coalesce(site_code, 'unassigned') as site_code,
        channel,
        is_handled,
        is_abandoned,
        is_short_abandon,
        -- offered: customer-initiated contacts that reached an agent queue,
        -- minus short abandons (PRODUCT.md section 3); bot-contained
        -- contacts never reached an agent queue
        direction = 'inbound' and is_queued and not is_short_abandon
            and coalesce(handled_by, '') <> 'bot' as is_offered,
        direction = 'inbound' and is_queued and not is_short_abandon
            and coalesce(handled_by, '') <> 'bot'
            and is_answered_by_agent as is_answered

    from contacts

),

final as (

    select
        contact_date,
        site_code,
        channel,
        count(*) as contact_count,
        count(*) filter (where is_handled) as handled_count,
        count(*) filter (where is_offered) as offered_count,
        count(*) filter (where is_answered) as answered_count,
        count(*) filter (where is_abandoned and not is_short_abandon) as abandoned_count,
        count(*) filter (where is_short_abandon) as short_abandon_count,
        count(*) filter (where is_answered) as answer_rate_numerator,
        count(*) filter (where is_offered) as answer_rate_denominator,
        cast(count(*) filter (where is_answered) as {{ type_double() }})
            / nullif(count(*) filter (where is_offered), 0) as answer_rate

    from classified
    group by contact_date, site_code, channel

)

select * from final
