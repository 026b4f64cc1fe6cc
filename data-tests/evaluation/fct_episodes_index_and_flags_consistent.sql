-- Episode-level invariants: the effort index lies in 0..100; an episode
-- resolved on one contact has exactly one handled contact; every episode
-- has at least one handled contact; a censored episode started less than
-- repeat_window_days before the end of the data and no other does.
select
    episode_id,
    effort_index,
    handled_contact_count,
    is_one_contact_resolution,
    is_censored
from {{ ref('fct_episodes') }}
where effort_index < 0
    or effort_index > 100
    or handled_contact_count < 1
    or (is_one_contact_resolution and handled_contact_count <> 1)
    or is_censored <> (
        {{ seconds_between('first_handled_started_at', 'data_end_at') }}
        < {{ var('repeat_window_days') }} * 86400
    )
