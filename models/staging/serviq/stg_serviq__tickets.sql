with source as (

    select * from {{ source('serviq', 'tickets') }}

),

renamed as (

    select
        ticket_id,
        customer_id,
        customer_email as customer_email_hash,
        channel,
        initiated_by,
        created_at,
        first_response_at,
        solved_at,
        coalesce(reopened_count, 0) as reopened_count,
        handled_by,
        agent_id,
        intent,
        predicted_intent,
        prediction_confidence,
        status,
        coalesce(escalated_to_backoffice, false) as is_escalated_to_backoffice,
        first_message,
        _load_id as load_id

    from source

)

select * from renamed
