{#- Prediction accuracy (预测准确率) by day, site, channel, team and intent.
    Each judged prediction (predicted and final intent both known) counts
    once on the row of its final intent (actual_count, correct_count) and
    once on the row of its predicted intent (predicted_count), so:
    - top-1 accuracy over any slice = sum(accuracy_numerator) /
      sum(accuracy_denominator) (summing over every intent row);
    - per intent: precision = precision_numerator / precision_denominator,
      recall = recall_numerator / recall_denominator.
    Site and team are those of the handling agent; prediction happens before
    routing, so there is no agent grain. Predictions with no final intent
    are counted (unjudged_prediction_count, on the predicted intent's row)
    and excluded from every rate. -#}
{{ config(**serviq_incremental('contact_date')) }}
with compared as (

    select * from {{ ref('int_contacts_compared_to_predictions') }}
    {%- if serviq_is_partial() %}
    where contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

),

by_actual as (

    select
        contact_date,
        site_code,
        channel,
        team,
        intent,
        1 as actual_count,
        case when is_prediction_correct then 1 else 0 end as correct_count,
        0 as predicted_count,
        0 as unjudged_prediction_count
    from compared
    where is_judged

),

by_predicted as (

    select
        contact_date,
        site_code,
        channel,
        team,
        predicted_intent as intent,
        0 as actual_count,
        0 as correct_count,
        case when is_judged then 1 else 0 end as predicted_count,
        case when is_judged then 0 else 1 end as unjudged_prediction_count
    from compared

),

unioned as (

    select * from by_actual
    union all
    select * from by_predicted

),

final as (

    select
        contact_date,
        cast({{ dbt.date_trunc('week', 'contact_date') }} as date) as contact_week,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month,
        site_code,
        channel,
        team,
        intent,
        sum(correct_count) as accuracy_numerator,
        sum(actual_count) as accuracy_denominator,
        sum(correct_count) as precision_numerator,
        sum(predicted_count) as precision_denominator,
        sum(correct_count) as recall_numerator,
        sum(actual_count) as recall_denominator,
        sum(unjudged_prediction_count) as unjudged_prediction_count

    from unioned
    group by contact_date, site_code, channel, team, intent

)

select * from final
