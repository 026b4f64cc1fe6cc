{#- Incremental builds (DECISIONLOG.md, "Incremental builds").

    A model opts in with one line:
        {{ config(**serviq_incremental('contact_date')) }}
    On DuckDB and PostgreSQL it is an incremental model, delete+insert on
    the given key (a column or an expression): the rows an incremental run
    recomputes replace every stored row with the same key. On Spark, and
    whenever the var `as_of_date` is set (an as-of run must not be mixed
    with later data), it is a plain table.

    pipelines/build.py plans each build from the load audit and the raw
    tables' load ids, and for an incremental build writes one row to
    audit.dbt_build_plan (dropped when the build ends):
    - incremental_since: the earliest local date that any row loaded since
      the last build touches (a new contact's date; for a survey, offer,
      complaint or back-office item, also the date of the contact it
      points to);
    - incremental_previous_end: the local date of the end of the data at
      the last build (censoring windows move with it).
    A table read when models run, not dbt vars: a changed var makes dbt
    re-parse the whole project (~10 s), on every incremental build. The vars
    of the same names override it for hand-run builds. Without either an
    incremental run recomputes everything (still exact). -#}
{% macro serviq_incremental(unique_key) -%}
    {%- if target.type == 'spark' or var('as_of_date', none) -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{#- The plan of this build: {'since': date or none, 'previous_end': date or none}. -#}
{% macro serviq_incremental_plan() -%}
    {%- set plan = {
        'since': var('incremental_since', none),
        'previous_end': var('incremental_previous_end', none),
    } -%}
    {%- if plan.since is none and execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema='audit', identifier='dbt_build_plan') -%}
        {%- if relation is not none -%}
            {%- set rows = run_query(
                'select incremental_since, incremental_previous_end from ' ~ relation).rows -%}
            {%- if rows | length > 0 -%}
                {%- do plan.update({'since': rows[0][0], 'previous_end': rows[0][1]}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#- True when this run recomputes only part of the model. -#}
{% macro serviq_is_partial() -%}
    {{ return(is_incremental() and serviq_incremental_plan().since is not none) }}
{%- endmacro %}

{#- The first local date to recompute, as a SQL date literal: the earliest
    date new rows touch, moved back `lookback_days` (how far back a new row
    reaches older ones, e.g. a repeat window), and, for a model with
    censoring or other figures that depend on the end of the data, never
    later than `end_window_days` before the previous end of the data. -#}
{% macro serviq_recompute_from(lookback_days=0, end_window_days=none) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- set since = modules.datetime.date.fromisoformat((plan.since | string)[:10]) -%}
    {%- set start = since - (lookback_days + 1) * one_day if lookback_days else since -%}
    {%- set previous_end = plan.previous_end -%}
    {%- if end_window_days is not none and previous_end is not none -%}
        {%- set end_start = modules.datetime.date.fromisoformat((previous_end | string)[:10])
            - (end_window_days + 1) * one_day -%}
        {%- if end_start < start -%}{%- set start = end_start -%}{%- endif -%}
    {%- endif -%}
    cast('{{ start.isoformat() }}' as date)
{%- endmacro %}

{#- Post-hook of incremental models that carry the end of the data on
    every row (data_end_at): rows an incremental run did not recompute still
    hold the previous end; set it to the parent's (already current) end.
    The censoring those rows depend on lies outside the end window, so only
    the column itself changes. -#}
{% macro serviq_refresh_data_end(parent) -%}
    {%- if serviq_is_partial() -%}
    update {{ this }}
    set data_end_at = (select max(data_end_at) from {{ ref(parent) }})
    where data_end_at <> (select max(data_end_at) from {{ ref(parent) }})
    {%- endif -%}
{%- endmacro %}

{#- The customers whose episodes an incremental run recomputes, as a
    subquery of customer ids. Episodes chain without limit (each repeat
    extends the window), so a new contact can change an episode that began
    long ago: every episode of a customer with a contact from
    serviq_recompute_from(0, repeat_window_days) on (new contacts, contacts
    that new surveys, offers or back-office items point to, and episodes
    whose censoring can change), and of customers with a back-office item
    still open (the resolution of their episodes is the end of the data).
    Models using it carry a `depends_on` comment for both refs. -#}
{% macro serviq_episode_customers() -%}
    select recent_contacts.customer_id
    from {{ ref('int_contacts_unioned') }} as recent_contacts
    where recent_contacts.contact_date >= {{ serviq_recompute_from(0, var('repeat_window_days')) }}
        and recent_contacts.customer_id is not null
    union
    select pending_contacts.customer_id
    from {{ ref('stg_serviq__backoffice_items') }} as open_items
    inner join {{ ref('int_contacts_unioned') }} as pending_contacts
        on open_items.source_contact_id = pending_contacts.contact_id
    where open_items.completed_at is null
        and pending_contacts.customer_id is not null
{%- endmacro %}
