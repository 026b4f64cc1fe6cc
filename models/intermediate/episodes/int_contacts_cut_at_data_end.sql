{#- Every contact up to the end of the data, with that end attached.
    The end of the data is the start of the latest contact loaded, or, when
    the var `as_of_date` is set (a local date, reporting time zone), the
    start of the latest contact on or before that day; contacts after the
    end are left out so that an as-of run reproduces what was known then.
    Every evaluation metric (episodes, effort, prediction, proactive,
    value) reads contacts through this model, so they share one end. -#}
{#- A view: a row per contact carrying the end would be rewritten whole by
    every build; readers join the one-row end instead (DECISIONLOG). -#}
{{ config(materialized='view') }}
-- inlined: both readers (the max and the join) scan only the columns they
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
        data_end.data_end_at

    from contacts
    inner join data_end
        on contacts.started_at <= data_end.data_end_at

)

select * from final
