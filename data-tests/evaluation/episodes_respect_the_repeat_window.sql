-- On real data: consecutive handled contacts of one customer on one intent
-- are in the same episode exactly when the later one started at most
-- repeat_window_days x 24 h after the earlier one; attached attempts start
-- at most repeat_window_days before a handled contact of their episode.
--
-- The model is read directly by each part, not through a shared CTE: DuckDB
-- would materialise a CTE read three times (2.7M rows at 3M contacts), which
-- cost more than the scans it saves (DECISIONLOG.md, "Platform and pipeline").
--
-- An incremental build that regrouped some customers' episodes only
-- (audit.dbt_build_episode_from) checks those customers, whole histories:
-- no other row was rewritten, and every pair the test compares lies within
-- one customer.
{%- set regrouped = serviq_regrouped_customers() %}
with handled as (

    select
        contact_id,
        episode_id,
        started_at,
        lag(episode_id) over (
            partition by customer_id, intent order by started_at, contact_id
        ) as previous_episode_id,
        lag(started_at) over (
            partition by customer_id, intent order by started_at, contact_id
        ) as previous_started_at
    from {{ ref('int_contacts_grouped_to_episodes') }}
    where contact_role = 'handled'
    {%- if regrouped %}
        and customer_id in (select regrouped.customer_id from {{ regrouped }} as regrouped)
    {%- endif %}

),

bad_repeats as (

    select contact_id, 'repeat grouping disagrees with the window' as problem
    from handled
    where previous_started_at is not null
        and (previous_episode_id = episode_id) <> (
            {{ seconds_between('previous_started_at', 'started_at') }}
            <= {{ var('repeat_window_days') }} * 86400
        )

),

attempt_matches as (

    select
        attempts.contact_id,
        sum(
            case
                when handled.started_at >= attempts.started_at
                    and {{ seconds_between('attempts.started_at', 'handled.started_at') }}
                    <= {{ var('repeat_window_days') }} * 86400
                    then 1
                else 0
            end
        ) as handled_within_window_count
    from {{ ref('int_contacts_grouped_to_episodes') }} as attempts
    inner join {{ ref('int_contacts_grouped_to_episodes') }} as handled
        on attempts.episode_id = handled.episode_id
        and handled.contact_role = 'handled'
    where attempts.contact_role = 'attempt'
    {%- if regrouped %}
        and attempts.customer_id in (select regrouped.customer_id from {{ regrouped }} as regrouped)
    {%- endif %}
    group by attempts.contact_id

),

bad_attempts as (

    select contact_id, 'attempt not within the window before a handled contact of its episode' as problem
    from attempt_matches
    where handled_within_window_count = 0

)

select * from bad_repeats
union all
select * from bad_attempts
