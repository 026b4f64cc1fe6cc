with source as (

    select * from {{ source('serviq', 'backoffice_items') }}

),

renamed as (

    select
        item_id,
        source_contact_id,
        branch_id,
        business_type,
        applicant_id_number as applicant_id_number_hash,
        received_at,
        started_at,
        completed_at,
        reviewer_id,
        shift,
        outcome,
        reject_reason,
        sla_minutes,
        _load_id as load_id

    from source

)

select * from renamed
