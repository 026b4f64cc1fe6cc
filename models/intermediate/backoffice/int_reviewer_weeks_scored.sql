{#- One row per reviewer, business type and ISO week of completion: mean
    review time and rejection rate, and each as a z-score against the
    reviewer's peers (the other reviewers of the same business type that
    week, leave-one-out). A reviewer-week counts only with at least
    outlier_min_items completed items, and gets a z-score only when at
    least outlier_min_peers peers qualify. -#}
{%- set min_items = var('outlier_min_items', 20) -%}
{%- set min_peers = var('outlier_min_peers', 3) -%}
with items as (

    select * from {{ ref('int_backoffice_items_measured') }}

),

reviewer_weeks as (

    select
        reviewer_id,
        business_type,
        completed_week_start_date as week_start_date,
        count(*) as completed_count,
        count(review_seconds) as reviewed_count,
        sum(review_seconds) as review_seconds_sum,
        count(case when is_rejected then 1 end) as rejected_count

    from items
    where is_completed
        and reviewer_id <> 'unassigned'
    group by reviewer_id, business_type, completed_week_start_date

),

qualified as (

    select
        reviewer_id,
        business_type,
        week_start_date,
        completed_count,
        reviewed_count,
        review_seconds_sum,
        rejected_count,
        review_seconds_sum / reviewed_count as mean_review_seconds,
        cast(rejected_count as {{ type_double() }}) / completed_count as rejection_rate

    from reviewer_weeks
    where completed_count >= {{ min_items }}
        and reviewed_count > 0

),

-- group sums per business type and week; each reviewer's peers are the
-- group minus the reviewer (so one extreme reviewer cannot mask itself)
group_sums as (

    select
        qualified.*,
        count(*) over (
            partition by business_type, week_start_date
        ) as group_reviewer_count,
        sum(mean_review_seconds) over (
            partition by business_type, week_start_date
        ) as group_review_sum,
        sum(mean_review_seconds * mean_review_seconds) over (
            partition by business_type, week_start_date
        ) as group_review_sum_squares,
        sum(rejection_rate) over (
            partition by business_type, week_start_date
        ) as group_rejection_sum,
        sum(rejection_rate * rejection_rate) over (
            partition by business_type, week_start_date
        ) as group_rejection_sum_squares

    from qualified

),

peers as (

    select
        group_sums.*,
        group_reviewer_count - 1 as peer_count,
        (group_review_sum - mean_review_seconds) / nullif(group_reviewer_count - 1, 0)
            as peer_mean_review_seconds,
        (group_rejection_sum - rejection_rate) / nullif(group_reviewer_count - 1, 0)
            as peer_rejection_rate

    from group_sums

),

-- sample variance of the peers: (sum of squares - n * mean^2) / (n - 1)
peer_spread as (

    select
        peers.*,
        sqrt(greatest(
            (group_review_sum_squares - mean_review_seconds * mean_review_seconds
                - peer_count * peer_mean_review_seconds * peer_mean_review_seconds)
            / nullif(peer_count - 1, 0),
            0
        )) as peer_sd_review_seconds,
        sqrt(greatest(
            (group_rejection_sum_squares - rejection_rate * rejection_rate
                - peer_count * peer_rejection_rate * peer_rejection_rate)
            / nullif(peer_count - 1, 0),
            0
        )) as peer_sd_rejection_rate

    from peers

),

final as (

    select
        reviewer_id,
        business_type,
        week_start_date,
        completed_count,
        reviewed_count,
        rejected_count,
        review_seconds_sum,
        mean_review_seconds,
        rejection_rate,
        peer_count,
        peer_mean_review_seconds,
        peer_sd_review_seconds,
        peer_rejection_rate,
        peer_sd_rejection_rate,
        case
            when peer_count >= {{ min_peers }} and peer_sd_review_seconds > 0
                then {{ round_double('(mean_review_seconds - peer_mean_review_seconds) / peer_sd_review_seconds', 4) }}
        end as review_time_z,
        case
            when peer_count >= {{ min_peers }} and peer_sd_rejection_rate > 0
                then {{ round_double('(rejection_rate - peer_rejection_rate) / peer_sd_rejection_rate', 4) }}
        end as rejection_rate_z

    from peer_spread

)

select * from final
