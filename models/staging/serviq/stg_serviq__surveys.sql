with source as (

    select * from {{ source('serviq', 'surveys') }}

),

renamed as (

    select
        survey_id,
        contact_id,
        answered_at,
        nps as nps_score,
        csat as csat_score,
        ces as ces_score,
        verbatim,
        _load_id as load_id

    from source

)

select * from renamed
