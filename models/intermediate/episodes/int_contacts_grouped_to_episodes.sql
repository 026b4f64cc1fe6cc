{#- Every contact with its role in the episode logic and, when it belongs
    to one, its episode (PRODUCT.md section 2, DECISIONLOG.md).

    Roles:
    - handled: customer-initiated, known customer, answered by an agent or a
      bot (online: got a response). Opens an episode unless the same
      customer had a handled contact on the same intent that started at most
      repeat_window_days (x 24 h, inclusive) before it; each repeat extends
      the window (chained).
    - attempt: customer-initiated, known customer, not handled and not a
      short abandon (abandoned call, unanswered message, callback request).
      It joins the episode of the same customer's next handled contact if
      that contact starts at most repeat_window_days after it; otherwise it
      is an unattached_attempt.
    - handled_without_intent: handled, but no final intent to match
      repeats on (as in the hotline repeat rate): counted, never in an
      episode.
    - short_abandon: a call abandoned within short_abandon_seconds; noise,
      as in the classic offered count, so never part of an episode.
    - unknown_customer: customer-initiated, customer not identified: counted,
      never in an episode.
    - proactive: company-initiated; never opens or extends an episode.

    Three window passes and equi-joins, no range joins: repeats by lag()
    per customer and intent, each contact's opening by a running last
    value over the same order; attempts find their next handled contact by
    counting handled contacts backwards in time per customer (an attempt
    shares that count with its next handled contact). -#}
{#- incremental: each concerned customer's contacts from the instant its
    episodes are recomputed from (no episode spans it), and the contacts
    without a customer from incremental_since; the pre-hooks delete those
    rows first -#}
{{ config(**serviq_incremental(none)) }}
{{ config(pre_hook=["{{ serviq_delete_episode_rows('customer_id', 'started_at') }}", "{{ serviq_delete_contacts_without_customer() }}"]) }}
with contacts as {{ cte_for_recomputed_episodes() }} (

    {%- if serviq_episodes_partial() %}
    select recomputed.*
    from {{ ref('int_contacts_cut_at_data_end') }} as recomputed
    {{ serviq_join_episode_from('recomputed', 'customer_id', 'started_at') }}

    union all

    select * from {{ ref('int_contacts_cut_at_data_end') }}
    where customer_id is null and contact_date >= {{ serviq_recompute_from() }}
    {%- else %}
    select * from {{ ref('int_contacts_cut_at_data_end') }}
    {%- endif %}

),

classified as {{ cte_inlined() }} (

    -- every column travels with the role, so the final step joins only the
    -- narrow episode links back (a join of two full-width contact sets cost
    -- more than the rest of the model at 3M contacts)
    select
        contacts.*,
        case
            when initiated_by = 'company' then 'proactive'
            when customer_id is null then 'unknown_customer'
            when is_handled and intent is null then 'handled_without_intent'
            when is_handled then 'handled'
            when is_short_abandon then 'short_abandon'
            else 'attempt'
        end as contact_role

    from contacts

),

handled as (

    select
        contact_id,
        customer_id,
        intent,
        started_at,
        lag(started_at) over (
            partition by customer_id, intent
            order by started_at, contact_id
        ) as previous_started_at,
        row_number() over (
            partition by customer_id, intent
            order by started_at, contact_id
        ) as handled_number

    from classified
    where contact_role = 'handled'

),

handled_flagged as (

    select
        contact_id,
        customer_id,
        intent,
        started_at,
        handled_number,
        case
            when previous_started_at is null then 1
            when {{ seconds_between('previous_started_at', 'started_at') }}
                > {{ var('repeat_window_days') }} * 86400 then 1
            else 0
        end as is_episode_opening_flag

    from handled

),

handled_in_episodes as (

    -- a second pass over the same order: each contact's episode is the
    -- latest opening so far (one window, no join of the openings back)
    select
        contact_id,
        customer_id,
        started_at,
        is_episode_opening_flag = 1 as is_episode_opening,
        {{ last_non_null_so_far(
            'case when is_episode_opening_flag = 1 then contact_id end',
            'handled_number',
            'partition by customer_id, intent order by started_at, contact_id'
        ) }} as episode_id,
        handled_number - max(case when is_episode_opening_flag = 1 then handled_number end) over (
            partition by customer_id, intent
            order by started_at, contact_id
            rows between unbounded preceding and current row
        ) + 1 as handled_sequence

    from handled_flagged

),

attempts as (

    select
        contact_id,
        customer_id,
        started_at
    from classified
    where contact_role = 'attempt'

),

timeline as (

    -- only customers with attempts need the walk (attempts are few)
    select
        contact_id,
        customer_id,
        started_at,
        0 as tie_order
    from handled_in_episodes
    where customer_id in (select attempts.customer_id from attempts)

    union all

    select
        contact_id,
        customer_id,
        started_at,
        1 as tie_order
    from attempts

),

timeline_blocked as (

    -- walking backwards in time, the running number of handled contacts
    -- seen so far: an attempt shares it with the next handled contact
    -- (a handled contact at the same instant counts as next)
    select
        contact_id,
        customer_id,
        started_at,
        tie_order,
        sum(1 - tie_order) over (
            partition by customer_id
            order by started_at desc, tie_order asc, contact_id desc
            rows between unbounded preceding and current row
        ) as next_handled_block

    from timeline

),

attempts_linked as (

    select
        attempts.contact_id,
        case
            when {{ seconds_between('attempts.started_at', 'next_handled.started_at') }}
                <= {{ var('repeat_window_days') }} * 86400
                then handled_in_episodes.episode_id
        end as episode_id

    from timeline_blocked as attempts
    inner join timeline_blocked as next_handled
        on attempts.customer_id = next_handled.customer_id
        and attempts.next_handled_block = next_handled.next_handled_block
        and next_handled.tie_order = 0
    inner join handled_in_episodes
        on next_handled.contact_id = handled_in_episodes.contact_id
    where attempts.tie_order = 1

),

final as (

    select
        classified.contact_id,
        classified.customer_id,
        classified.channel,
        classified.direction,
        classified.initiated_by,
        classified.site_code,
        classified.team,
        classified.agent_id,
        classified.handled_by,
        classified.outcome,
        classified.started_at,
        classified.ended_at,
        classified.contact_date,
        classified.is_handled,
        classified.is_abandoned,
        classified.wait_seconds,
        classified.hold_seconds,
        classified.transfer_count,
        classified.intent,
        classified.is_marked_unresolved,
        classified.is_escalated_to_backoffice,
        case
            when classified.contact_role = 'attempt' and attempts_linked.episode_id is null
                then 'unattached_attempt'
            else classified.contact_role
        end as contact_role,
        coalesce(handled_in_episodes.episode_id, attempts_linked.episode_id) as episode_id,
        coalesce(handled_in_episodes.is_episode_opening, false) as is_episode_opening,
        handled_in_episodes.handled_sequence

    from classified
    left join handled_in_episodes
        on classified.contact_id = handled_in_episodes.contact_id
    left join attempts_linked
        on classified.contact_id = attempts_linked.contact_id

)

select * from final
