{#- Calibration of the intent prediction by day, site, channel and
    confidence decile (tenths of the confidence scale): accuracy
    (accuracy_numerator / accuracy_denominator) against the mean confidence
    (mean_confidence_numerator / mean_confidence_denominator) of the
    decile. A calibrated model has the two close in every decile. Judged
    predictions with a confidence only. -#}
{{ config(**serviq_incremental('contact_date')) }}
with compared as (

    select * from {{ ref('int_contacts_compared_to_predictions') }}
    where is_judged
        and confidence_decile is not null
    {%- if serviq_is_partial() %}
        and contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

final as (

    select
        contact_date,
        cast({{ dbt.date_trunc('week', 'contact_date') }} as date) as contact_week,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month,
        site_code,
        channel,
        confidence_decile,
        sum(case when is_prediction_correct then 1 else 0 end) as accuracy_numerator,
        count(*) as accuracy_denominator,
        sum(prediction_confidence) as mean_confidence_numerator,
        count(*) as mean_confidence_denominator

    from compared
    group by contact_date, site_code, channel, confidence_decile

)

select * from final
