{#- Every back-office item lands in exactly one row of each daily mart, and
    completed = approved + rejected + returned. Returns the measures that
    disagree (none = pass). -#}
with items as (

    select
        count(*) as item_count,
        count(completed_at) as completed_count

    from {{ ref('stg_serviq__backoffice_items') }}

),

daily as (

    select
        sum(received_count) as received_count,
        sum(completed_count) as completed_count,
        sum(completed_count) - sum(approved_count) - sum(rejected_count) - sum(returned_count)
            as unexplained_completed_count

    from {{ ref('mart_backoffice_daily') }}

),

branch as (

    select sum(received_count) as received_count
    from {{ ref('mart_backoffice_branch_daily') }}

),

checks as (

    select 'daily received' as measure, daily.received_count as mart_value, items.item_count as expected_value
    from daily cross join items
    union all
    select 'daily completed', daily.completed_count, items.completed_count
    from daily cross join items
    union all
    select 'branch received', branch.received_count, items.item_count
    from branch cross join items
    union all
    select 'completed = approved + rejected + returned', daily.unexplained_completed_count, 0
    from daily

)

select * from checks
where coalesce(mart_value, 0) <> coalesce(expected_value, 0)
