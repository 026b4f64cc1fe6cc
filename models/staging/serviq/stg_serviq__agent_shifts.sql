with source as (

    select * from {{ source('serviq', 'agent_shifts') }}

),

renamed as (

    select
        agent_id,
        shift_date,
        work_mode,
        logged_in_seconds,
        coalesce(available_seconds, 0) as available_seconds,
        scheduled as is_scheduled,
        _load_id as load_id

    from source

)

select * from renamed
