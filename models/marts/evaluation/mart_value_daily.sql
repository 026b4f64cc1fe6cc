{#- Value co-creation (价值共生) by day, site, channel, intent and team of the
    service contact (any handled contact whose intent is not a sales
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
      and counted beside it).
    By agent: mart_evaluation_agent_daily. -#}
{{ config(**serviq_incremental('contact_date')) }}
with contacts_valued as (

    select * from {{ ref('int_service_contacts_valued') }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('contact_date', 2 * var('value_window_days'), 2 * var('value_window_days'), 0, true, ['offers']) }}
    {%- endif %}

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
        {{ value_cocreation_measures() }}

    from contacts_valued
    group by contact_date, site_code, channel, intent, team

)

select * from final
