{#- Every contact up to the end of the data, with that end attached.
    The end of the data is the start of the latest contact loaded, or, when
    the var `as_of_date` is set (a local date, reporting time zone), the
    start of the latest contact on or before that day; contacts after the
    end are left out so that an as-of run reproduces what was known then.
    Every evaluation metric (episodes, effort, prediction, proactive,
    value) reads contacts through this model, so they share one end. -#}
{#- A view: a row per contact carrying the end would be rewritten whole by
    every build; readers get the one-row end attached instead (DECISIONLOG).
    The end is attached as a scalar, not by a join on started_at <= end:
    DuckDB estimated that join at a few hundred rows, so every reader that
    joined this view to a small table (the touched customers of an
    incremental build, the offers) built its hash table over all contacts
    and all their columns. Without an as-of date every contact starts at or
    before the latest start, so only the null check is left. -#}
{{ config(materialized='view') }}
-- inlined: both readers (the max and the rows) scan only the columns they
-- need; stored, every reader of this view copied all of int_contacts_unioned
with contacts as {{ cte_inlined() }} (

    select * from {{ ref('int_contacts_unioned') }}

),

data_end as (

    select
        max(started_at) as data_end_at

    from contacts
    {%- if var('as_of_date') %}
    where contact_date <= cast('{{ var("as_of_date") }}' as date)
    {%- endif %}

),

final as (

    select
        contacts.*,
        (select data_end.data_end_at from data_end) as data_end_at

    from contacts
    {%- if var('as_of_date') %}
    where contacts.started_at <= (select data_end.data_end_at from data_end)
    {%- else %}
    where contacts.started_at is not null
    {%- endif %}

)

select * from final
