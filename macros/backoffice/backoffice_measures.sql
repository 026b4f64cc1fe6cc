{#- Back-office figures as re-aggregatable sums over
    int_backoffice_items_measured, shared by the back-office marts. -#}
{% macro backoffice_measures() -%}
        count(*) as received_count,
        count(case when is_completed then 1 end) as completed_count,
        count(case when is_approved then 1 end) as approved_count,
        count(case when is_rejected then 1 end) as rejected_count,
        count(case when is_returned then 1 end) as returned_count,
        count(case when is_open_past_sla then 1 end) as open_past_sla_count,
        coalesce(sum(processing_seconds), 0) as processing_seconds_numerator,
        count(processing_seconds) as processing_seconds_denominator,
        coalesce(sum(review_seconds), 0) as review_seconds_numerator,
        count(review_seconds) as review_seconds_denominator,
        count(case when is_rejected or is_returned then 1 end) as rejection_return_rate_numerator,
        count(case when is_completed then 1 end) as rejection_return_rate_denominator,
        count(case when is_rejected then 1 end) as rejection_rate_numerator,
        count(case when is_completed then 1 end) as rejection_rate_denominator,
        count(case when is_overtime then 1 end) as overtime_rate_numerator,
        count(case when is_overtime_decided then 1 end) as overtime_rate_denominator,
        count(case when is_first_time_right then 1 end) as first_time_right_rate_numerator,
        count(case when is_completed then 1 end) as first_time_right_rate_denominator
{%- endmacro %}
