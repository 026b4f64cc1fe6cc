{#- One row per episode: who, what intent, the first handled contact (the
    episode's date, channel, site, team and agent), what it took (handled
    contacts, attempts, channel switches, transfers, waits, holds, back-office
    hand-offs, elapsed time to resolution), its survey answers, whether it
    was resolved on one contact (FCR) and whether it is censored by the end
    of the data. -#}
{#- incremental: the episodes of each concerned customer from the instant
    they are recomputed from (a contact in the lookback, a contact new rows
    point to, a back-office item still open: pipelines/incremental.py); the
    pre-hook deletes those rows first -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook="{{ serviq_delete_episode_rows('customer_id', 'episode_started_at') }}") }}
with members as {{ cte_for_recomputed_episodes() }} (

    select grouped.* from {{ ref('int_contacts_grouped_to_episodes') }} as grouped
    {%- if serviq_episodes_partial() %}
    {{ serviq_join_episode_from('grouped', 'customer_id', 'started_at') }}
    {%- endif %}
    where grouped.episode_id is not null

),

-- the end of the data is read, not stored: a stored copy on every episode
-- had to be rewritten whenever the end moved (DECISIONLOG "`data_end_at` on
-- the rows of two tables only"; fct_episodes stores it for its users)
data_end as (

    select max(data_end_at) as data_end_at
    from {{ ref('int_contacts_cut_at_data_end') }}

),

backoffice_items as (

    select * from {{ ref('stg_serviq__backoffice_items') }}

),

surveys as (

    select * from {{ ref('stg_serviq__surveys') }}

),

backoffice_per_contact as (

    select
        source_contact_id as contact_id,
        max(completed_at) as last_completed_at,
        sum(case when completed_at is null then 1 else 0 end) as open_item_count

    from backoffice_items
    where source_contact_id is not null
    group by source_contact_id

),

surveys_per_contact as (

    select
        contact_id,
        count(ces_score) as ces_answer_count,
        sum(ces_score) as ces_score_sum,
        sum(case when ces_score >= 5 then 1 else 0 end) as ces_top_box_count

    from surveys
    group by contact_id

),

-- most episodes are one handled contact: only the episodes with a second
-- member (a repeat or an attempt, never the opening) need the ordered pass
-- below; sorting every contact by episode was the model's largest cost
multi_member_episodes as (

    select distinct episode_id
    from members
    where not is_episode_opening

),

members_ordered as (

    select
        members.*,
        lag(members.channel) over (
            partition by members.episode_id
            order by members.started_at, members.contact_id
        ) as previous_channel,
        -- the opening's channel, from the same sort as the lag (cheaper
        -- than joining the openings back to every member)
        max(case when members.is_episode_opening then members.channel end) over (
            partition by members.episode_id
            order by members.started_at, members.contact_id
            rows between unbounded preceding and unbounded following
        ) as first_channel

    from members
    where members.episode_id in (select episode_id from multi_member_episodes)

    union all

    -- a one-member episode: its only member is the opening
    select
        members.*,
        null as previous_channel,
        members.channel as first_channel

    from members
    where members.episode_id not in (select episode_id from multi_member_episodes)

),

members_sequenced as (

    select
        members_ordered.*,
        backoffice_per_contact.last_completed_at as backoffice_completed_at,
        coalesce(backoffice_per_contact.open_item_count, 0) as backoffice_open_item_count,
        coalesce(surveys_per_contact.ces_answer_count, 0) as ces_answer_count,
        coalesce(surveys_per_contact.ces_score_sum, 0) as ces_score_sum,
        coalesce(surveys_per_contact.ces_top_box_count, 0) as ces_top_box_count

    from members_ordered
    left join backoffice_per_contact
        on members_ordered.contact_id = backoffice_per_contact.contact_id
    left join surveys_per_contact
        on members_ordered.contact_id = surveys_per_contact.contact_id

),

first_handled as (

    select
        episode_id,
        customer_id,
        intent,
        contact_id as first_contact_id,
        channel as first_channel,
        coalesce(site_code, 'unassigned') as site_code,
        coalesce(team, 'unassigned') as team,
        agent_id,
        handled_by as first_handled_by,
        contact_date as episode_date,
        started_at as first_handled_started_at,
        is_escalated_to_backoffice as is_first_contact_escalated,
        is_marked_unresolved as is_first_contact_marked_unresolved

    -- straight from the members: the sequenced set (a window over every
    -- contact) is then read once, by the aggregation, and never materialised
    from members
    where is_episode_opening

),

aggregated as (

    select
        members_sequenced.episode_id,
        sum(case when contact_role = 'handled' then 1 else 0 end) as handled_contact_count,
        sum(case when contact_role = 'attempt' then 1 else 0 end) as abandoned_attempt_count,
        count(distinct channel) as channel_count,
        sum(
            case when previous_channel is not null and previous_channel <> channel then 1 else 0 end
        ) as channel_switch_count,
        sum(coalesce(transfer_count, 0)) as transfer_count,
        sum(coalesce(wait_seconds, 0)) as queue_wait_seconds,
        sum(coalesce(hold_seconds, 0)) as hold_seconds,
        sum(case when is_escalated_to_backoffice then 1 else 0 end) as backoffice_handoff_count,
        sum(backoffice_open_item_count) as backoffice_open_item_count,
        min(started_at) as episode_started_at,
        max(case when contact_role = 'handled' then started_at end) as last_handled_started_at,
        max(case when contact_role = 'handled' then ended_at end) as last_handled_ended_at,
        max(backoffice_completed_at) as backoffice_completed_at,
        sum(ces_answer_count) as ces_answer_count,
        sum(ces_score_sum) as ces_score_sum,
        sum(ces_top_box_count) as ces_top_box_count,
        sum(
            case
                when contact_role = 'handled'
                    and not is_episode_opening
                    and channel <> first_channel
                    then 1
                else 0
            end
        ) as cross_channel_repeat_count

    from members_sequenced
    group by members_sequenced.episode_id

),

joined as (

    select
        first_handled.*,
        (select data_end.data_end_at from data_end) as data_end_at,
        aggregated.handled_contact_count,
        aggregated.abandoned_attempt_count,
        aggregated.channel_count,
        aggregated.channel_switch_count,
        aggregated.cross_channel_repeat_count,
        aggregated.transfer_count,
        aggregated.queue_wait_seconds,
        aggregated.hold_seconds,
        aggregated.backoffice_handoff_count,
        aggregated.episode_started_at,
        aggregated.last_handled_started_at,
        -- resolved when the last handled contact ended and every back-office
        -- item raised in the episode was completed; an item still open at the
        -- end of the data leaves the episode open until (at least) that end
        aggregated.backoffice_open_item_count > 0 as is_resolution_pending,
        case
            when aggregated.backoffice_open_item_count > 0
                then (select data_end.data_end_at from data_end)
            else greatest(aggregated.last_handled_ended_at, aggregated.backoffice_completed_at)
        end as resolved_at,
        aggregated.ces_answer_count,
        aggregated.ces_score_sum,
        aggregated.ces_top_box_count

    from first_handled
    inner join aggregated
        on first_handled.episode_id = aggregated.episode_id

),

final as (

    select
        episode_id,
        customer_id,
        intent,
        episode_date,
        cast({{ dbt.date_trunc('week', 'episode_date') }} as date) as episode_week,
        cast({{ dbt.date_trunc('month', 'episode_date') }} as date) as episode_month,
        first_contact_id,
        first_channel,
        site_code,
        team,
        agent_id,
        first_handled_by,
        episode_started_at,
        first_handled_started_at,
        last_handled_started_at,
        resolved_at,
        is_resolution_pending,
        {{ seconds_between('episode_started_at', 'resolved_at') }} / 3600.0 as elapsed_hours,
        handled_contact_count,
        abandoned_attempt_count,
        channel_count,
        channel_switch_count,
        cross_channel_repeat_count,
        transfer_count,
        queue_wait_seconds,
        hold_seconds,
        backoffice_handoff_count,
        is_first_contact_escalated,
        is_first_contact_marked_unresolved,
        handled_contact_count = 1
            and not is_first_contact_escalated
            and not is_first_contact_marked_unresolved
            as is_one_contact_resolution,
        -- censored: the first handled contact started less than
        -- repeat_window_days before the end of the data, so a repeat could
        -- still come after the end
        {{ seconds_between('first_handled_started_at', 'data_end_at') }}
            < {{ var('repeat_window_days') }} * 86400 as is_censored,
        ces_answer_count,
        ces_score_sum,
        ces_top_box_count

    from joined

)

select * from final
