{#- The classic hotline figures as re-aggregatable sums over
    int_contacts_classified_for_hotline, shared by every hotline mart so the
    daily, interval and agent marts cannot drift apart. Each rate is stored
    as <rate>_numerator and <rate>_denominator; <rate> itself is
    numerator * scale / denominator for convenience at that grain only. -#}
{% macro hotline_rate_definitions() %}
    {{ return([
        {'name': 'answer_rate', 'numerator': 'is_answered', 'denominator': 'is_offered', 'scale': 1},
        {'name': 'abandonment_rate', 'numerator': 'is_abandoned_offered', 'denominator': 'is_offered', 'scale': 1},
        {'name': 'callback_rate', 'numerator': 'is_callback', 'denominator': 'is_offered', 'scale': 1},
        {'name': 'service_level', 'numerator': 'is_service_level_met', 'denominator': 'is_service_level_counted', 'scale': 1},
        {'name': 'transfer_rate', 'numerator': 'is_transferred', 'denominator': 'is_transfer_counted', 'scale': 1},
        {'name': 'bot_containment_rate', 'numerator': 'is_bot_contained', 'denominator': 'is_bot_reached', 'scale': 1},
        {'name': 'escalation_rate', 'numerator': 'is_escalated', 'denominator': 'is_handled', 'scale': 1},
        {'name': 'repeat_contact_rate', 'numerator': 'is_repeat', 'denominator': 'is_repeat_eligible', 'scale': 1},
    ]) }}
{% endmacro %}

{% macro hotline_measures() -%}
        count(*) as contact_count,
        count(case when is_handled then 1 end) as handled_count,
        count(case when is_offered then 1 end) as offered_count,
        count(case when is_answered then 1 end) as answered_count,
        count(case when is_abandoned_offered then 1 end) as abandoned_count,
        count(case when is_queued_short_abandon then 1 end) as short_abandon_count,
        count(case when is_callback then 1 end) as callback_count,
        count(case when is_call and is_offered then 1 end) as offered_call_count,
        count(case when is_answered_within_threshold then 1 end) as answered_within_threshold_count,
        count(case when is_abandoned_within_threshold then 1 end) as abandoned_within_threshold_count,
        count(case when is_bot_contained then 1 end) as bot_contained_count,
        count(case when is_escalated then 1 end) as escalated_count,
        count(case when is_repeat then 1 end) as repeat_contact_count,
        coalesce(sum(answered_wait_seconds), 0) as answered_wait_seconds_sum,
        coalesce(sum(connected_seconds), 0) as connected_seconds_sum,
        coalesce(sum(talk_seconds), 0) as talk_seconds_sum,
        cast(coalesce(sum(hold_seconds), 0) as bigint) as hold_seconds_sum,
        cast(coalesce(sum(wrap_seconds), 0) as bigint) as wrap_seconds_sum,
        coalesce(sum(handle_seconds), 0) as handle_seconds_sum,
        count(handle_seconds) as handle_time_call_count,
        cast(sum(complaint_count) as bigint) as complaint_count,
        cast(sum(nps_response_count) as bigint) as nps_response_count,
        cast(sum(nps_promoter_count) as bigint) as nps_promoter_count,
        cast(sum(nps_detractor_count) as bigint) as nps_detractor_count,
        cast(sum(csat_response_count) as bigint) as csat_response_count,
        cast(sum(csat_satisfied_count) as bigint) as csat_satisfied_count,
        {%- for rate in hotline_rate_definitions() %}
        count(case when {{ rate.numerator }} then 1 end) as {{ rate.name }}_numerator,
        count(case when {{ rate.denominator }} then 1 end) as {{ rate.name }}_denominator,
        {%- endfor %}
        coalesce(sum(answered_wait_seconds), 0) as asa_seconds_numerator,
        count(answered_wait_seconds) as asa_seconds_denominator,
        coalesce(sum(handle_seconds), 0) as aht_seconds_numerator,
        count(handle_seconds) as aht_seconds_denominator,
        cast(sum(complaint_count) as bigint) as complaints_per_10k_numerator,
        count(*) as complaints_per_10k_denominator,
        sum(nps_promoter_count) - cast(sum(nps_detractor_count) as bigint) as nps_numerator,
        cast(sum(nps_response_count) as bigint) as nps_denominator,
        cast(sum(csat_satisfied_count) as bigint) as csat_rate_numerator,
        cast(sum(csat_response_count) as bigint) as csat_rate_denominator
{%- endmacro %}

{#- Convenience ratios at the mart's own grain (never average these). -#}
{% macro hotline_ratios(relation) -%}
        {%- for rate in hotline_rate_definitions() %}
        cast({{ relation }}.{{ rate.name }}_numerator as {{ type_double() }})
            / nullif({{ relation }}.{{ rate.name }}_denominator, 0) as {{ rate.name }},
        {%- endfor %}
        cast({{ relation }}.asa_seconds_numerator as {{ type_double() }})
            / nullif({{ relation }}.asa_seconds_denominator, 0) as asa_seconds,
        cast({{ relation }}.aht_seconds_numerator as {{ type_double() }})
            / nullif({{ relation }}.aht_seconds_denominator, 0) as aht_seconds,
        10000.0 * {{ relation }}.complaints_per_10k_numerator
            / nullif({{ relation }}.complaints_per_10k_denominator, 0) as complaints_per_10k,
        100.0 * {{ relation }}.nps_numerator / nullif({{ relation }}.nps_denominator, 0) as nps,
        cast({{ relation }}.csat_rate_numerator as {{ type_double() }})
            / nullif({{ relation }}.csat_rate_denominator, 0) as csat_rate
{%- endmacro %}
