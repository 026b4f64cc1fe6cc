with source as (

    select * from {{ source('serviq', 'complaints') }}

),

renamed as (

    select
        complaint_id,
        customer_id,
        contact_id,
        received_at,
        category,
        severity,
        closed_at,
        description,
        _load_id as load_id

    from source

)

select * from renamed
