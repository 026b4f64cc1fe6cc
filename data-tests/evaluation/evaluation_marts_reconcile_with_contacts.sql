-- Every evaluation mart reconciles with the contacts it is built from
-- (after dbt_zendesk's integrity tests): one row per check that fails.
with contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}

),

grouped as (

    select * from {{ ref('int_contacts_grouped_to_episodes') }}

),

episodes as (

    select * from {{ ref('fct_episodes') }}

),

intents as (

    select * from {{ ref('intents') }}

),

checks as (

    select
        'contacts in episode logic = contacts' as check_name,
        (select count(*) from grouped) as observed,
        (select count(*) from contacts) as expected

    union all

    select
        'handled contacts in episodes = handled role',
        (select sum(handled_contact_count) from episodes),
        (select count(*) from grouped where contact_role = 'handled')

    union all

    select
        'attempts in episodes = attached attempts',
        (select sum(abandoned_attempt_count) from episodes),
        (select count(*) from grouped where contact_role = 'attempt')

    union all

    select
        'fcr mart episodes = episodes',
        (select sum(episode_count) from {{ ref('mart_fcr_daily') }}),
        (select count(*) from episodes)

    union all

    select
        'fcr mart numerator = fcr episodes not censored',
        (select sum(fcr_numerator) from {{ ref('mart_fcr_daily') }}),
        (select count(*) from episodes where is_one_contact_resolution and not is_censored)

    union all

    select
        'fcr mart denominator + censored = episodes',
        (select sum(fcr_denominator) + sum(censored_episode_count) from {{ ref('mart_fcr_daily') }}),
        (select count(*) from episodes)

    union all

    select
        'fcr mart unknown customers = handled customer contacts without customer',
        (select sum(unknown_customer_contact_count) from {{ ref('mart_fcr_daily') }}),
        (
            select count(*) from contacts
            where initiated_by = 'customer' and is_handled and customer_id is null
        )

    union all

    select
        'effort mart episodes = episodes',
        (select sum(episode_count) from {{ ref('mart_effort_daily') }}),
        (select count(*) from episodes)

    union all

    select
        'proactive share denominator = handled contacts',
        (select sum(proactive_share_denominator) from {{ ref('mart_proactive_daily') }}),
        (select count(*) from contacts where is_handled)

    union all

    select
        'proactive share numerator = handled company contacts',
        (select sum(proactive_share_numerator) from {{ ref('mart_proactive_daily') }}),
        (select count(*) from contacts where is_handled and initiated_by = 'company')

    union all

    select
        'prediction accuracy denominator = judged predictions',
        (select sum(accuracy_denominator) from {{ ref('mart_prediction_daily') }}),
        (
            select count(*) from contacts
            where predicted_intent is not null and intent is not null
        )

    union all

    select
        'prediction precision denominator = judged predictions',
        (select sum(precision_denominator) from {{ ref('mart_prediction_daily') }}),
        (
            select count(*) from contacts
            where predicted_intent is not null and intent is not null
        )

    union all

    select
        'value contacts = handled service (non-sales) contacts',
        (select sum(service_contact_count) from {{ ref('mart_value_daily') }}),
        (
            select count(*) from contacts
            left join intents
                on contacts.intent = intents.intent_code
            where contacts.is_handled
                and coalesce(cast(intents.is_sales as integer), 0) = 0
        )

)

select * from checks
where coalesce(observed, 0) <> coalesce(expected, 0)
