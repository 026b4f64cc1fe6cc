{#- The hotline per 30-minute interval (reporting time zone) per day, site,
    queue and channel: offered, answered, abandoned, service level, ASA and
    handle time for the hour-by-weekday heat map and interval staffing
    views. interval_index 0 = 00:00-00:30 ... 47 = 23:30-24:00. -#}
{{ config(**serviq_incremental(none)) }}
{#- recomputes from incremental_since and the groups holding a contact a new
    survey or complaint points to; the pre-hook deletes those rows first -#}
{{ config(pre_hook="{{ serviq_delete_pointed_groups(['contact_date', 'interval_index', 'site_code', 'queue', 'channel'], 'int_contacts_classified_for_hotline', ['surveys', 'complaints']) }}") }}
with contacts as (

    select * from {{ ref('int_contacts_classified_for_hotline') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('contact_date') }}
        or {{ serviq_in_pointed_groups(['contact_date', 'interval_index', 'site_code', 'queue', 'channel'], ref('int_contacts_classified_for_hotline'), ['surveys', 'complaints']) }}
    {%- endif %}

),

aggregated as (

    select
        contact_date,
        contact_weekday,
        interval_index,
        site_code,
        queue,
        channel,
        {{ hotline_measures() }}

    from contacts
    group by
        contact_date,
        contact_weekday,
        interval_index,
        site_code,
        queue,
        channel

),

final as (

    select
        aggregated.contact_date,
        aggregated.contact_weekday,
        aggregated.interval_index,
        cast(floor(aggregated.interval_index / 2) as integer) as interval_hour,
        {{ dbt.concat([
            "lpad(cast(cast(floor(aggregated.interval_index / 2) as integer) as " ~ dbt.type_string() ~ "), 2, '0')",
            "case when aggregated.interval_index % 2 = 0 then ':00' else ':30' end",
        ]) }} as interval_start_label,
        aggregated.site_code,
        aggregated.queue,
        aggregated.channel,
        aggregated.contact_count,
        aggregated.handled_count,
        aggregated.offered_count,
        aggregated.answered_count,
        aggregated.abandoned_count,
        aggregated.short_abandon_count,
        aggregated.callback_count,
        aggregated.offered_call_count,
        aggregated.answered_within_threshold_count,
        aggregated.abandoned_within_threshold_count,
        aggregated.handle_seconds_sum,
        aggregated.answer_rate_numerator,
        aggregated.answer_rate_denominator,
        aggregated.abandonment_rate_numerator,
        aggregated.abandonment_rate_denominator,
        aggregated.service_level_numerator,
        aggregated.service_level_denominator,
        aggregated.asa_seconds_numerator,
        aggregated.asa_seconds_denominator,
        aggregated.aht_seconds_numerator,
        aggregated.aht_seconds_denominator,
        cast(aggregated.answer_rate_numerator as {{ type_double() }})
            / nullif(aggregated.answer_rate_denominator, 0) as answer_rate,
        cast(aggregated.service_level_numerator as {{ type_double() }})
            / nullif(aggregated.service_level_denominator, 0) as service_level

    from aggregated
    order by aggregated.contact_date

)

select * from final
