with source as (

    select * from {{ source('serviq', 'agents') }}

),

renamed as (

    select
        agent_id,
        site as site_code,
        team,
        role,
        valid_from,
        valid_to,
        _load_id as load_id

    from source

)

select * from renamed
