{#- One row per agent and validity period with an explicit, closed-open
    validity window in UTC-free local dates, ready for as-of joins. -#}
with agents as (

    select * from {{ ref('stg_serviq__agents') }}

),

final as (

    select
        agent_id,
        site_code,
        team,
        role,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to

    from agents

)

select * from final
