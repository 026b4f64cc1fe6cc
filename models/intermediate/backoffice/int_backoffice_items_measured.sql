{#- One row per back-office work item with its times and outcome flags
    (PRODUCT.md section 4): processing time (received -> completed), review
    time (started -> completed), rejection and return (拒绝退回), overtime
    (超时: completed later than sla_minutes after receipt, or still open
    past it at the end of the data) and first-time-right. Dates are local
    (reporting time zone).
    Incremental (by item_id): a run recomputes the items
    serviq_recomputed_items() selects (new, open, and the rest of their
    applicant's items of the same business type); the lag below reads
    whole applicant groups, so each recomputed flag is exact. -#}
{{ config(**serviq_incremental('item_id')) }}
{%- set partial = serviq_backoffice_partial() %}
with items as (

    select * from {{ ref('stg_serviq__backoffice_items') }}

),

localised as (

    select
        items.*,
        {{ to_local('items.received_at') }} as received_local_at,
        {{ to_local('items.completed_at') }} as completed_local_at

    from items
    {%- if partial %}
    where {{ serviq_recomputed_items('items') }}
    {%- endif %}

),

-- the end of the data: the as_of_date var (end of that local day) or the
-- latest event (receipt, start or completion) of any item loaded
data_end as (

    {%- if var('as_of_date') %}
    select cast(cast('{{ var("as_of_date") }}' as date) + 1 as timestamp) as data_end_local_at
    {%- else %}
    select {{ to_local('max(coalesce(completed_at, started_at, received_at))') }} as data_end_local_at
    from items
    {%- endif %}

),

-- a resubmission: the same applicant's previous item of the same business
-- type was returned to the branch for correction
previous_items as (

    select
        item_id,
        lag(outcome) over (
            partition by applicant_id_number_hash, business_type
            order by received_at, item_id
        ) as previous_outcome

    from localised
    where applicant_id_number_hash is not null

),

measured as (

    select
        localised.item_id,
        localised.source_contact_id,
        localised.branch_id,
        localised.business_type,
        coalesce(localised.reviewer_id, 'unassigned') as reviewer_id,
        coalesce(localised.shift, 'unassigned') as shift,
        localised.received_at,
        localised.started_at,
        localised.completed_at,
        cast(localised.received_local_at as date) as received_date,
        cast(localised.completed_local_at as date) as completed_date,
        localised.outcome,
        localised.sla_minutes,
        localised.completed_at is not null as is_completed,
        case
            when localised.completed_at is not null
                then {{ seconds_between('localised.received_at', 'localised.completed_at') }}
        end as processing_seconds,
        case
            when localised.completed_at is not null and localised.started_at is not null
                then {{ seconds_between('localised.started_at', 'localised.completed_at') }}
        end as review_seconds,
        coalesce(localised.outcome = 'approved', false) as is_approved,
        coalesce(localised.outcome = 'rejected', false) as is_rejected,
        coalesce(localised.outcome = 'returned', false) as is_returned,
        coalesce(previous_items.previous_outcome = 'returned', false) as is_resubmission,
        {{ seconds_between('localised.received_local_at', 'data_end.data_end_local_at') }}
            as seconds_open_at_data_end

    from localised
    cross join data_end
    left join previous_items
        on localised.item_id = previous_items.item_id

),

final as (

    select
        item_id,
        source_contact_id,
        branch_id,
        business_type,
        reviewer_id,
        shift,
        received_at,
        started_at,
        completed_at,
        received_date,
        cast({{ dbt.date_trunc('week', 'received_date') }} as date) as received_week_start_date,
        completed_date,
        cast({{ dbt.date_trunc('week', 'completed_date') }} as date) as completed_week_start_date,
        outcome,
        sla_minutes,
        is_completed,
        processing_seconds,
        review_seconds,
        is_approved,
        is_rejected,
        is_returned,
        is_rejected or is_returned as is_rejected_or_returned,
        is_resubmission,
        is_approved and not is_resubmission as is_first_time_right,
        -- overtime is decided once the item is completed or its deadline
        -- has passed at the end of the data; open items inside their SLA are not yet decided
        is_completed or seconds_open_at_data_end > sla_minutes * 60 as is_overtime_decided,
        case
            when is_completed then processing_seconds > sla_minutes * 60
            else seconds_open_at_data_end > sla_minutes * 60
        end as is_overtime,
        not is_completed and seconds_open_at_data_end > sla_minutes * 60 as is_open_past_sla

    from measured

)

select * from final
