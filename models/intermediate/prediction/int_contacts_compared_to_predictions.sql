{#- Every contact that carries a predicted intent, compared with its final
    intent. A prediction is judged only when the contact also has a final
    intent (abandoned contacts usually have none). Confidence deciles are
    tenths of the confidence scale: decile d holds confidences in
    [(d-1)/10, d/10), with 1.0 in decile 10; fixed bins, so a decile means
    the same thing on every day and re-aggregates. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts as (

    select * from {{ ref('int_contacts_cut_at_data_end') }}

),

final as (

    select
        contact_id,
        contact_date,
        coalesce(site_code, 'unassigned') as site_code,
        channel,
        coalesce(team, 'unassigned') as team,
        initiated_by,
        intent,
        predicted_intent,
        prediction_confidence,
        intent is not null as is_judged,
        intent is not null and predicted_intent = intent as is_prediction_correct,
        case
            when prediction_confidence is not null
                then least(cast(floor(prediction_confidence * 10) as integer) + 1, 10)
        end as confidence_decile

    from contacts
    where predicted_intent is not null
    {%- if serviq_is_partial() %}
        and contact_date >= {{ serviq_recompute_from() }}
    {%- endif %}

)

select * from final
