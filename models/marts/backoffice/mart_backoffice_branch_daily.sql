{#- Back-office figures per day of receipt x business type x sending
    branch: the same measures as mart_backoffice_daily, for the branch
    view (which branches send work that is rejected, returned or late).
    Incremental by day of receipt: a run recomputes the days of the items
    it recomputed (serviq_backoffice_days). -#}
{{ config(**serviq_incremental('received_date')) }}
-- depends_on: {{ ref('stg_serviq__backoffice_items') }}
with items as (

    select * from {{ ref('int_backoffice_items_measured') }}
    {%- if serviq_backoffice_partial() %}
    where {{ serviq_in_backoffice_days('received_date') }}
    {%- endif %}

),

final as (

    select
        received_date,
        received_week_start_date,
        business_type,
        branch_id,
        {{ backoffice_measures() }}

    from items
    group by
        received_date,
        received_week_start_date,
        business_type,
        branch_id
    order by received_date

)

select * from final
