with source as (

    select * from {{ source('serviq', 'offers') }}

),

renamed as (

    select
        offer_id,
        contact_id,
        customer_id,
        product,
        recommended_at,
        accepted_at,
        value_amount as value_amount_cny,
        _load_id as load_id

    from source

)

select * from renamed
