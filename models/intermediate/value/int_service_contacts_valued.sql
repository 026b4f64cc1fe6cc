{#- One row per service contact (any handled contact whose final intent is
    not a sales intent) with what its offers produced: offers made in it,
    offers accepted within value_window_days of its start and their value,
    and the harm check on those acceptances; censored when the contact
    started less than value_window_days before the end of the data. The
    value marts (by day and by agent) aggregate this. -#}
{{ config(**serviq_incremental('contact_id')) }}
-- depends_on: {{ ref('stg_serviq__complaints') }}
with contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}

),

offers as (

    select * from {{ ref('int_offers_attributed_to_contacts') }}

),

intents as (

    select * from {{ ref('intents') }}

),

service_contacts as (

    select
        contacts.contact_id,
        contacts.contact_date,
        coalesce(contacts.site_code, 'unassigned') as site_code,
        contacts.channel,
        coalesce(contacts.intent, 'unknown') as intent,
        coalesce(contacts.team, 'unassigned') as team,
        contacts.agent_id,
        {{ seconds_between('contacts.started_at', 'contacts.data_end_at') }}
            < {{ var('value_window_days') }} * 86400 as is_value_censored

    from contacts
    left join intents
        on contacts.intent = intents.intent_code
    where contacts.is_handled
        and coalesce(cast(intents.is_sales as integer), 0) = 0
    {%- if serviq_is_partial() %}
        -- the rows that can change (macros/incremental/value.sql): new
        -- contacts, those whose censoring can have ended, and the contacts
        -- of the offers that can have changed otherwise
        and ({{ serviq_value_changed_contacts('contacts') }}
            or contacts.contact_id in (
                select changed_offers.contact_id
                from {{ ref('int_offers_attributed_to_contacts') }} as changed_offers
                where {{ serviq_value_changed_offers('changed_offers') }}
            ))
    {%- endif %}

),

offers_per_contact as (

    select
        contact_id,
        count(*) as offer_count,
        sum(case when is_accepted_in_window then 1 else 0 end) as accepted_offer_count,
        sum(case when is_accepted_in_window then value_amount_cny else 0 end) as accepted_value_cny,
        sum(case when is_accepted_in_window and not is_harm_censored then 1 else 0 end)
            as harm_observed_offer_count,
        sum(case when is_followed_by_complaint and not is_harm_censored then 1 else 0 end)
            as harm_offer_count,
        sum(case when is_harm_censored then 1 else 0 end) as harm_censored_offer_count

    from offers
    where is_service_contact
    group by contact_id

),

final as (

    select
        service_contacts.*,
        coalesce(offers_per_contact.offer_count, 0) as offer_count,
        coalesce(offers_per_contact.accepted_offer_count, 0) as accepted_offer_count,
        coalesce(offers_per_contact.accepted_value_cny, 0) as accepted_value_cny,
        coalesce(offers_per_contact.harm_observed_offer_count, 0) as harm_observed_offer_count,
        coalesce(offers_per_contact.harm_offer_count, 0) as harm_offer_count,
        coalesce(offers_per_contact.harm_censored_offer_count, 0) as harm_censored_offer_count

    from service_contacts
    left join offers_per_contact
        on service_contacts.contact_id = offers_per_contact.contact_id

)

select * from final
