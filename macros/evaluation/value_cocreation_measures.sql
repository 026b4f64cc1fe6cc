{#- Value co-creation measures (PRODUCT.md section 2) over rows of
    int_service_contacts_valued, one definition for every grain that
    reports them (mart_value_daily, mart_evaluation_agent_daily). Contacts
    whose value window is not yet over are counted apart, never as "no
    offer accepted". -#}
{% macro value_cocreation_measures() -%}
        count(*) as service_contact_count,
        sum(case when is_value_censored then 1 else 0 end) as value_censored_contact_count,
        sum(case when not is_value_censored and accepted_offer_count > 0 then 1 else 0 end)
            as offer_acceptance_share_numerator,
        sum(case when not is_value_censored then 1 else 0 end)
            as offer_acceptance_share_denominator,
        1000 * sum(case when not is_value_censored then accepted_value_cny else 0 end)
            as value_per_1000_numerator,
        sum(case when not is_value_censored then 1 else 0 end) as value_per_1000_denominator,
        sum(case when not is_value_censored then accepted_offer_count else 0 end)
            as offer_take_up_rate_numerator,
        sum(case when not is_value_censored then offer_count else 0 end)
            as offer_take_up_rate_denominator,
        sum(harm_offer_count) as harm_rate_numerator,
        sum(harm_observed_offer_count) as harm_rate_denominator,
        sum(harm_censored_offer_count) as harm_censored_offer_count
{%- endmacro %}
