{#- Every offer, attributed to the contact it was made in (offers.contact_id),
    with that contact's facts, whether it was accepted within
    value_window_days (x 24 h, inclusive) of the contact's start, and the
    harm check: whether the same customer complained within
    value_window_days (inclusive) after the acceptance.
    - An offer credits only the contact it was made in, never later contacts
      that preceded the acceptance (no double counting, no last-touch).
    - A service contact is any handled contact whose final intent is not a
      sales intent (seeds/intents.csv is_sales; no intent counts as
      service), whoever started it and whether or not the customer is
      identified: PRODUCT.md's words, read literally.
    - Censoring: the acceptance window of a contact that started less than
      value_window_days before the end of the data is not fully observed;
      the complaint window of an acceptance less than value_window_days
      before the end likewise.
    The next complaint is found with one window function per customer.

    Incremental: the offers to recompute are chosen first, from their own
    columns and a semi-join on the contacts that can have changed, and only
    they are joined to the contacts. Joined first and filtered after (the
    filter spans both sides), every offer went into the join's hash table:
    1.46M offers at 10.9M contacts, which under DuckDB's 3 GB cap the join
    processed out of core (2.7 s and 2.2 GB against 0.7 s and 0.6 GB
    uncapped) for the few offers a new day recomputes (DECISIONLOG
    "Incremental builds"). The chosen offers' contacts are likewise read
    through a semi-join on their ids, not by joining every stored contact. -#}
{{ config(**serviq_incremental('offer_id')) }}
-- inlined: on an incremental run the offers' semi-join reads it too
with contacts as {{ cte_inlined() }} (

    select * from {{ ref('int_contacts_cut_at_data_end') }}

),

offers as (

    select * from {{ ref('stg_serviq__offers') }} as offers
    {%- if serviq_is_partial() %}
    -- the offers that can have changed (macros/incremental/value.sql):
    -- those of new contacts and of contacts whose censoring can have
    -- ended, those changed otherwise, and every offer loaded since the
    -- last build (one whose contact is not loaded is in no other set). An
    -- offer stored without its contact has no window or harm flags to
    -- change; when the contact arrives it is a new contact.
    where offers.contact_id in (
            select changed_contacts.contact_id
            from contacts as changed_contacts
            where {{ serviq_value_changed_contacts('changed_contacts') }}
        )
        or {{ serviq_value_changed_offers('offers') }}
        {%- if serviq_incremental_plan().loads_after is not none %}
        or offers.load_id in ({{ serviq_new_load_ids() }})
        {%- else %}
        or offers.offer_id not in (select stored.offer_id from {{ this }} as stored)
        {%- endif %}
    {%- endif %}

),

complaints as (

    select * from {{ ref('stg_serviq__complaints') }}

),

intents as (

    select * from {{ ref('intents') }}

),

offers_joined as (

    select
        offers.offer_id,
        offers.customer_id,
        offers.contact_id,
        offers.product,
        offers.recommended_at,
        offers.accepted_at,
        offers.value_amount_cny,
        contacts.contact_id is not null as is_attributed,
        contacts.started_at as contact_started_at,
        contacts.contact_date,
        coalesce(contacts.site_code, 'unassigned') as site_code,
        contacts.channel,
        coalesce(contacts.intent, 'unknown') as intent,
        coalesce(contacts.team, 'unassigned') as team,
        contacts.agent_id,
        contacts.data_end_at,
        coalesce(
            contacts.is_handled
            and coalesce(cast(intents.is_sales as integer), 0) = 0,
            false
        ) as is_service_contact

    from offers
    {%- if serviq_is_partial() %}
    -- only the chosen offers' contacts: written as a semi-join on the
    -- contacts, DuckDB filters the scan by the offers' contact ids; joined
    -- directly, every stored contact with all its columns went through the
    -- join (at 36M contacts under the 3 GB cap: 9.1 s and 1.5 GB spilled,
    -- against 1.6 s and no spill)
    left join (
        select * from contacts
        where contacts.contact_id in (select chosen.contact_id from offers as chosen)
    ) as contacts
    {%- else %}
    left join contacts
    {%- endif %}
        on offers.contact_id = contacts.contact_id
    left join intents
        on contacts.intent = intents.intent_code

),

offers_windowed as (

    select
        offers_joined.*,
        offers_joined.accepted_at is not null
            and offers_joined.is_attributed
            and offers_joined.accepted_at <= offers_joined.data_end_at
            and {{ seconds_between('offers_joined.contact_started_at', 'offers_joined.accepted_at') }}
            <= {{ var('value_window_days') }} * 86400 as is_accepted_in_window,
        coalesce(
            {{ seconds_between('offers_joined.contact_started_at', 'offers_joined.data_end_at') }}
            < {{ var('value_window_days') }} * 86400,
            false
        ) as is_value_censored

    from offers_joined

),

timeline as (

    select
        offer_id as event_id,
        customer_id,
        accepted_at as event_at,
        0 as tie_order
    from offers_windowed
    where is_accepted_in_window

    union all

    select
        complaint_id as event_id,
        customer_id,
        received_at as event_at,
        1 as tie_order
    from complaints

),

timeline_followed as (

    -- a complaint at the same instant as the acceptance counts as after it
    select
        event_id,
        tie_order,
        min(case when tie_order = 1 then event_at end) over (
            partition by customer_id
            order by event_at, tie_order, event_id
            rows between 1 following and unbounded following
        ) as next_complaint_received_at

    from timeline

),

final as (

    -- every column but the end of the data: stored on each offer, every
    -- new day rewrote it on all of them (DECISIONLOG "`data_end_at` on the
    -- rows of one table only")
    select
        offers_windowed.offer_id,
        offers_windowed.customer_id,
        offers_windowed.contact_id,
        offers_windowed.product,
        offers_windowed.recommended_at,
        offers_windowed.accepted_at,
        offers_windowed.value_amount_cny,
        offers_windowed.is_attributed,
        offers_windowed.contact_started_at,
        offers_windowed.contact_date,
        offers_windowed.site_code,
        offers_windowed.channel,
        offers_windowed.intent,
        offers_windowed.team,
        offers_windowed.agent_id,
        offers_windowed.is_service_contact,
        offers_windowed.is_accepted_in_window,
        offers_windowed.is_value_censored,
        timeline_followed.next_complaint_received_at,
        offers_windowed.is_accepted_in_window
            and {{ seconds_between('offers_windowed.accepted_at', 'offers_windowed.data_end_at') }}
            < {{ var('value_window_days') }} * 86400 as is_harm_censored,
        offers_windowed.is_accepted_in_window
            and timeline_followed.next_complaint_received_at is not null
            and timeline_followed.next_complaint_received_at <= offers_windowed.data_end_at
            and {{ seconds_between('offers_windowed.accepted_at', 'timeline_followed.next_complaint_received_at') }}
            <= {{ var('value_window_days') }} * 86400 as is_followed_by_complaint

    from offers_windowed
    left join timeline_followed
        on offers_windowed.offer_id = timeline_followed.event_id
        and timeline_followed.tie_order = 0

)

select * from final
