-- The effort index seed must name every component the model scores, with a
-- weight >= 0 and a cap > 0, and the weights must not all be zero.
-- Returns one row per problem.
with weights as (

    select * from {{ ref('effort_index_weights') }}

),

expected as (

    {%- for component in ['extra_handled_contacts', 'abandoned_attempts', 'channel_switches', 'transfers', 'queue_wait_seconds', 'hold_seconds', 'backoffice_handoffs', 'elapsed_hours'] %}
    select '{{ component }}' as component
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}

),

missing as (

    select expected.component, 'missing from the seed' as problem
    from expected
    left join weights
        on expected.component = weights.component
    where weights.component is null

),

invalid as (

    select component, 'weight < 0 or cap <= 0' as problem
    from weights
    where weight < 0 or cap <= 0 or weight is null or cap is null

),

all_zero as (

    select 'all' as component, 'weights sum to zero' as problem
    from weights
    having sum(weight) <= 0

)

select * from missing
union all
select * from invalid
union all
select * from all_zero
