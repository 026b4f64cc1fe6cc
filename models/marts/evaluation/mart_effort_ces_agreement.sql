{#- How well the Customer Effort Index agrees with survey CES, per week and
    per month of the episode: Spearman rank correlation between the index
    (and, so analysts can see what each weight buys, each normalised
    component) and the episode's mean CES answer, over episodes that are
    not censored and have at least one CES answer.
    CES 7 = very easy while the index is higher for more effort, so a
    useful index shows a clearly NEGATIVE rho. Ties take average ranks;
    rho is the Pearson correlation of the ranks. A correlation does not
    re-aggregate, hence one row per period instead of per day. -#}
{%- set measures = [
    'effort_index',
    'extra_handled_contacts_normalised',
    'abandoned_attempts_normalised',
    'channel_switches_normalised',
    'transfers_normalised',
    'queue_wait_seconds_normalised',
    'hold_seconds_normalised',
    'backoffice_handoffs_normalised',
    'elapsed_hours_normalised',
] -%}
{{ config(**serviq_incremental(['period_grain', 'period_start_date', 'measure'])) }}
{{ config(pre_hook="{{ serviq_delete_episode_periods('period_grain', 'period_start_date') }}") }}
with episodes as (

    select * from {{ ref('fct_episodes') }}
    {%- if serviq_is_partial() %}
    -- every episode of each week and month an incremental run recomputes
    where {{ serviq_in_episode_periods("'week'", 'episode_week') }}
        or {{ serviq_in_episode_periods("'month'", 'episode_month') }}
    {%- endif %}

),

surveyed as {{ cte_inlined() }} (

    select * from episodes
    where not is_censored
        and ces_answer_count > 0

),

measured as (

    {%- for measure in measures %}
    select
        episode_week,
        episode_month,
        '{{ measure | replace("_normalised", "") }}' as measure,
        cast({{ measure }} as {{ type_double() }}) as measure_value,
        ces_mean_score
    from surveyed
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

by_period as (

    select
        'week' as period_grain,
        episode_week as period_start_date,
        measure,
        measure_value,
        ces_mean_score
    from measured
    {%- if serviq_is_partial() %}
    where {{ serviq_in_episode_periods("'week'", 'episode_week') }}
    {%- endif %}

    union all

    select
        'month' as period_grain,
        episode_month as period_start_date,
        measure,
        measure_value,
        ces_mean_score
    from measured
    {%- if serviq_is_partial() %}
    where {{ serviq_in_episode_periods("'month'", 'episode_month') }}
    {%- endif %}

),

ranked as (

    select
        period_grain,
        period_start_date,
        measure,
        measure_value,
        ces_mean_score,
        -- average rank of ties: rank + (peers - 1) / 2, the peers counted
        -- over the same window as the rank (one sort for both, where a
        -- count partitioned by the value needed a second: 9.2 -> 4.9 CPU s
        -- at 3.7M contacts)
        rank() over (
            partition by period_grain, period_start_date, measure
            order by measure_value
        ) + (count(*) over (
            partition by period_grain, period_start_date, measure
            order by measure_value
            range between current row and current row
        ) - 1) / 2.0 as measure_rank,
        rank() over (
            partition by period_grain, period_start_date, measure
            order by ces_mean_score
        ) + (count(*) over (
            partition by period_grain, period_start_date, measure
            order by ces_mean_score
            range between current row and current row
        ) - 1) / 2.0 as ces_rank

    from by_period

),

final as (

    select
        period_grain,
        period_start_date,
        measure,
        count(*) as surveyed_episode_count,
        -- six decimals are far below sampling noise; rounding keeps the
        -- figure identical across engines
        case
            when stddev_pop(measure_rank) > 0 and stddev_pop(ces_rank) > 0
                then cast(corr(measure_rank, ces_rank) as decimal(12, 6))
        end as spearman_rho

    from ranked
    group by period_grain, period_start_date, measure

)

select * from final
