with source as (

    select * from {{ source('serviq', 'calls') }}

),

renamed as (

    select
        call_id,
        customer_id,
        caller_number as caller_number_hash,
        direction,
        initiated_by,
        site as site_code,
        queue,
        agent_id,
        work_mode,
        ivr_started_at,
        queued_at,
        answered_at,
        ended_at,
        coalesce(hold_seconds, 0) as hold_seconds,
        coalesce(wrap_seconds, 0) as wrap_seconds,
        coalesce(transfers, 0) as transfer_count,
        outcome,
        predicted_intent,
        prediction_confidence,
        intent,
        resolved_flag as is_resolved_by_agent,
        coalesce(escalated_to_backoffice, false) as is_escalated_to_backoffice,
        sentiment as sentiment_score,
        agent_note,
        _load_id as load_id

    from source

)

select * from renamed
