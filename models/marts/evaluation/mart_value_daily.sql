{#- Value co-creation (价值共生) by day, site, channel, intent, team and agent
    of the service contact (any handled contact whose intent is not a sales
    intent), over contacts whose value window is fully observed (not
    censored):
    - offer acceptance share = contacts with an offer made in them and
      accepted within value_window_days / service contacts;
    - value per 1,000 contacts = value_per_1000_numerator (1,000 x CNY
      accepted within the window) / value_per_1000_denominator (contacts);
    - offer take-up = offers accepted within the window / offers made;
    - harm rate = accepted offers followed by a complaint from the same
      customer within value_window_days of the acceptance / accepted offers
      (acceptances whose complaint window is not fully observed are censored
      and counted beside it). -#}
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

contacts_valued as (

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

),

final as (

    select
        contact_date,
        cast({{ dbt.date_trunc('week', 'contact_date') }} as date) as contact_week,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month,
        site_code,
        channel,
        intent,
        team,
        agent_id,
        count(*) as service_contact_count,
        sum(case when is_value_censored then 1 else 0 end)
            as value_censored_contact_count,
        sum(
            case when not is_value_censored and accepted_offer_count > 0 then 1 else 0 end
        ) as offer_acceptance_share_numerator,
        sum(case when not is_value_censored then 1 else 0 end)
            as offer_acceptance_share_denominator,
        1000 * sum(
            case when not is_value_censored then accepted_value_cny else 0 end
        ) as value_per_1000_numerator,
        sum(case when not is_value_censored then 1 else 0 end)
            as value_per_1000_denominator,
        sum(case when not is_value_censored then accepted_offer_count else 0 end)
            as offer_take_up_rate_numerator,
        sum(case when not is_value_censored then offer_count else 0 end)
            as offer_take_up_rate_denominator,
        sum(harm_offer_count) as harm_rate_numerator,
        sum(harm_observed_offer_count)
            as harm_rate_denominator,
        sum(harm_censored_offer_count)
            as harm_censored_offer_count

    from contacts_valued
    group by contact_date, site_code, channel, intent, team, agent_id

)

select * from final
