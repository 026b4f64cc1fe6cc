{#- Every episode with its Customer Effort Index (0-100, higher = more
    effort): each component is normalised to 0..1 as min(value, cap) / cap
    and the index is 100 x sum(weight x normalised) / sum(weight). Weights
    and caps come from the seed effort_index_weights (one row per component)
    so analysts can tune them; the component list below is the contract the
    seed is tested against (data-tests/evaluation). -#}
{%- set components = [
    ('extra_handled_contacts', 'handled_contact_count - 1'),
    ('abandoned_attempts', 'abandoned_attempt_count'),
    ('channel_switches', 'channel_switch_count'),
    ('transfers', 'transfer_count'),
    ('queue_wait_seconds', 'queue_wait_seconds'),
    ('hold_seconds', 'hold_seconds'),
    ('backoffice_handoffs', 'backoffice_handoff_count'),
    ('elapsed_hours', 'elapsed_hours'),
] -%}
{#- incremental: the episodes int_episodes_assembled recomputed (each
    concerned customer's from its instant on); the pre-hook deletes them first -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook="{{ serviq_delete_episode_rows('customer_id', 'episode_started_at') }}") }}
with episodes as (

    select assembled.* from {{ ref('int_episodes_assembled') }} as assembled
    {%- if serviq_episodes_partial() %}
    {{ serviq_join_episode_from('assembled', 'customer_id', 'episode_started_at') }}
    {%- endif %}

),

weights as (

    select * from {{ ref('effort_index_weights') }}

),

weights_pivoted as (

    select
        {%- for name, _ in components %}
        max(case when component = '{{ name }}' then cast(weight as {{ type_double() }}) end) as {{ name }}_weight,
        max(case when component = '{{ name }}' then cast(cap as {{ type_double() }}) end) as {{ name }}_cap,
        {%- endfor %}
        sum(cast(weight as {{ type_double() }})) as total_weight

    from weights

),

final as (

    select
        episodes.*,
        {%- for name, expression in components %}
        least(cast({{ expression }} as {{ type_double() }}), weights_pivoted.{{ name }}_cap)
            / weights_pivoted.{{ name }}_cap as {{ name }}_normalised,
        {%- endfor %}
        100.0 * (
            {%- for name, expression in components %}
            weights_pivoted.{{ name }}_weight
                * least(cast({{ expression }} as {{ type_double() }}), weights_pivoted.{{ name }}_cap)
                / weights_pivoted.{{ name }}_cap
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
        ) / weights_pivoted.total_weight as effort_index

    from episodes
    -- weights_pivoted is exactly one row: this only attaches the weights
    cross join weights_pivoted

)

select * from final
