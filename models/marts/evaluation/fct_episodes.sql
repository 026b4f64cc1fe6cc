{#- One row per episode (PRODUCT.md section 2): the episode-grain fact of
    the new evaluation system. One-contact resolution, censoring, effort
    components and the Customer Effort Index, survey CES. The customer
    appears only as the first 8 characters of its keyed hash, as in
    fct_contacts. Dimensions are those of the first handled contact. -#}
{#- incremental: only the 8-character customer_ref is stored, so per ref the
    episodes from the earliest instant of its concerned customers (a customer
    sharing the ref is re-read as it stands); the pre-hook deletes them first -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook="{{ serviq_delete_episode_rows('customer_ref', 'episode_started_at', by_ref=true) }}") }}
{#- of the episode tables only this one stores the end of the data (the
    intermediate ones read it from int_contacts_cut_at_data_end); the
    post-hook moves it on every stored row when it moves -#}
{{ config(post_hook="{{ serviq_refresh_data_end('int_contacts_cut_at_data_end') }}") }}
with scored as (

    select scored_episodes.* from {{ ref('int_episodes_scored_for_effort') }} as scored_episodes
    {%- if serviq_episodes_partial() %}
    {{ serviq_join_episode_from('scored_episodes', 'customer_id', 'episode_started_at', by_ref=true) }}
    {%- endif %}

),

data_end as (

    select max(data_end_at) as data_end_at
    from {{ ref('int_contacts_cut_at_data_end') }}

),

final as (

    select
        episode_id,
        left(customer_id, 8) as customer_ref,
        intent,
        episode_date,
        episode_week,
        episode_month,
        first_contact_id,
        first_channel as channel,
        site_code,
        team,
        agent_id,
        first_handled_by,
        episode_started_at,
        first_handled_started_at,
        last_handled_started_at,
        resolved_at,
        is_resolution_pending,
        elapsed_hours,
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
        is_one_contact_resolution,
        is_censored,
        (select data_end.data_end_at from data_end) as data_end_at,
        extra_handled_contacts_normalised,
        abandoned_attempts_normalised,
        channel_switches_normalised,
        transfers_normalised,
        queue_wait_seconds_normalised,
        hold_seconds_normalised,
        backoffice_handoffs_normalised,
        elapsed_hours_normalised,
        effort_index,
        ces_answer_count,
        ces_score_sum,
        ces_top_box_count,
        case when ces_answer_count > 0 then cast(ces_score_sum as {{ type_double() }}) / ces_answer_count end
            as ces_mean_score

    from scored

)

select * from final
