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

agent_totals as (

    select
        sum(fcr_numerator) as fcr_numerator,
        sum(fcr_denominator) as fcr_denominator,
        sum(effort_index_mean_denominator) as effort_index_mean_denominator,
        sum(ces_mean_denominator) as ces_mean_denominator,
        sum(proactive_share_numerator) as proactive_share_numerator,
        sum(preemption_rate_denominator) as preemption_rate_denominator,
        sum(offer_acceptance_share_numerator) as offer_acceptance_share_numerator,
        sum(service_contact_count) as service_contact_count,
        sum(harm_rate_denominator) as harm_rate_denominator
    from {{ ref('mart_evaluation_agent_daily') }}

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

    {%- for mart, column in [
        ('mart_fcr_daily', 'fcr_numerator'),
        ('mart_fcr_daily', 'fcr_denominator'),
        ('mart_effort_daily', 'effort_index_mean_denominator'),
        ('mart_effort_daily', 'ces_mean_denominator'),
        ('mart_proactive_daily', 'proactive_share_numerator'),
        ('mart_proactive_daily', 'preemption_rate_denominator'),
        ('mart_value_daily', 'offer_acceptance_share_numerator'),
        ('mart_value_daily', 'service_contact_count'),
        ('mart_value_daily', 'harm_rate_denominator'),
    ] %}

    union all

    select
        'agent mart {{ column }} = {{ mart }}',
        (select {{ column }} from agent_totals),
        (select sum({{ column }}) from {{ ref(mart) }})
    {%- endfor %}

)

select * from checks
where coalesce(observed, 0) <> coalesce(expected, 0)
