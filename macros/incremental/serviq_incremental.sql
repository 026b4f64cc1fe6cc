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
    - incremental_since: the earliest local day of a new contact;
    - incremental_pointed_days: days before it of contacts that new surveys,
      offers, complaints or back-office items point to, one by one;
    - incremental_complaints_since: the earliest new complaint's own day;
    - incremental_previous_end: the local date of the end of the data at
      the last build (censoring windows move with it);
    - incremental_loads_after: the last build's load-audit watermark.
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

{#- The plan of this build: {'since': date, 'previous_end': date, 'loads_after':
    timestamp with time zone}, each none on a full build. -#}
{% macro serviq_incremental_plan() -%}
    {%- set plan = {
        'since': var('incremental_since', none),
        'previous_end': var('incremental_previous_end', none),
        'loads_after': var('incremental_loads_after', none),
        'complaints_since': var('incremental_complaints_since', none),
        'pointed_days': var('incremental_pointed_days', ''),
        'episode_contacts': none,
        'pointed': none,
        'episode_from': none,
    } -%}
    {#- read once per dbt invocation: kept in the graph dict all nodes share -#}
    {%- set cached = graph.get('serviq_incremental_plan', {}) if execute else {} -%}
    {%- if plan.since is none and cached.get('invocation_id') == invocation_id -%}
        {{ return(cached.plan) }}
    {%- endif -%}
    {%- if plan.since is none and execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema='audit', identifier='dbt_build_plan') -%}
        {%- if relation is not none -%}
            {%- set rows = run_query('select incremental_since, incremental_previous_end, '
                ~ 'incremental_loads_after, incremental_complaints_since, '
                ~ 'incremental_pointed_days, incremental_episode_contacts from '
                ~ relation).rows -%}
            {%- if rows | length > 0 -%}
                {%- do plan.update({
                    'since': rows[0][0], 'previous_end': rows[0][1], 'loads_after': rows[0][2],
                    'complaints_since': rows[0][3], 'pointed_days': rows[0][4] or '',
                    'episode_contacts': rows[0][5],
                }) -%}
            {%- endif -%}
            {#- the contacts new rows point to (pipelines/incremental.py) -#}
            {%- do plan.update({'pointed': adapter.get_relation(
                database=target.database, schema='audit', identifier='dbt_build_pointed')}) -%}
            {#- per customer, the instant its episodes are recomputed from -#}
            {%- do plan.update({'episode_from': adapter.get_relation(
                database=target.database, schema='audit', identifier='dbt_build_episode_from')}) -%}
        {%- endif -%}
        {%- do graph.update({
            'serviq_incremental_plan': {'invocation_id': invocation_id, 'plan': plan},
        }) -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#- True when this run recomputes only part of the model. -#}
{% macro serviq_is_partial() -%}
    {#- dbt unit tests render models without a relation (`this`) -#}
    {%- if this is none -%}{{ return(false) }}{%- endif -%}
    {{ return(is_incremental() and serviq_incremental_plan().since is not none) }}
{%- endmacro %}

{#- The first local date to recompute, as a SQL date literal: the earliest
    date new rows touch, moved back `lookback_days` (how far back a new row
    reaches older ones, e.g. a repeat window), and, for a model with
    censoring or other figures that depend on the end of the data, never
    later than `end_window_days` before the previous end of the data. -#}
{% macro serviq_recompute_from(lookback_days=0, end_window_days=none, with_complaints=false) -%}
    cast('{{ serviq_recompute_start(lookback_days, end_window_days, with_complaints).isoformat() }}' as date)
{%- endmacro %}

{#- A predicate on an instant column (UTC) of a relation whose local date
    is computed from it (raw calls and tickets): true for every row whose
    local date is from serviq_recompute_from() on, and for some rows of the
    day before. The local date D starts at most 14 hours before D 00:00 UTC
    (the largest offset), so a day's margin keeps every such row; the local
    date itself is still compared afterwards. Written on the stored column,
    it lets DuckDB skip the row groups that end before it by their min/max
    instead of converting every row to local time (a new day on a year:
    int_contacts_unioned read every call and ticket). -#}
{% macro serviq_instant_from(column) -%}
    {%- set from_day = serviq_recompute_start() - modules.datetime.timedelta(days=1) -%}
    {{ column }} >= cast('{{ from_day.isoformat() }} 00:00:00+00' as timestamp with time zone)
{%- endmacro %}

{#- serviq_recompute_from() as a Python date, for macros that list days. -#}
{% macro serviq_recompute_start(lookback_days=0, end_window_days=none, with_complaints=false) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- set since = modules.datetime.date.fromisoformat((plan.since | string)[:10]) -%}
    {%- if with_complaints and plan.complaints_since is not none -%}
        {%- set complaints_since = modules.datetime.date.fromisoformat((plan.complaints_since | string)[:10]) -%}
        {%- if complaints_since < since -%}{%- set since = complaints_since -%}{%- endif -%}
    {%- endif -%}
    {%- set start = since - (lookback_days + 1) * one_day if lookback_days else since -%}
    {%- set previous_end = plan.previous_end -%}
    {%- if end_window_days is not none and previous_end is not none -%}
        {%- set end_start = modules.datetime.date.fromisoformat((previous_end | string)[:10])
            - (end_window_days + 1) * one_day -%}
        {%- if end_start < start -%}{%- set start = end_start -%}{%- endif -%}
    {%- endif -%}
    {{ return(start) }}
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

{#- The first day of the episode lookback: episodes chain without limit
    (each repeat extends the window), so what an incremental run
    recomputes is chosen by customer, from the customers' contacts (or
    episodes) from this day on: min(S, E) - 8 days, one repeat window
    before both the earliest new row and the previous end of the data. -#}
{% macro serviq_episode_recompute_from() -%}
    {{ serviq_recompute_from(var('repeat_window_days'), var('repeat_window_days')) }}
{%- endmacro %}

{#- True when this run recomputes the episodes of some customers only, each
    from its own instant (audit.dbt_build_episode_from, written by
    pipelines/incremental.py): no episode has contacts on both sides of that
    instant, so the contacts and episodes from it on are regrouped and
    reassembled from their own rows and the older ones stay as stored. A
    hand-run build with the vars and no plan table recomputes every episode
    (exact, slower). -#}
{% macro serviq_episodes_partial() -%}
    {{ return(serviq_is_partial() and serviq_incremental_plan().episode_from is not none) }}
{%- endmacro %}

{#- For tests: the relation of the customers whose episodes this incremental
    build regrouped (customer_id, recompute_from_at), or none when the build
    regrouped every customer (full builds, hand-run builds without a plan). -#}
{% macro serviq_regrouped_customers() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- if plan.since is none -%}{{ return(none) }}{%- endif -%}
    {{ return(plan.episode_from) }}
{%- endmacro %}

{#- The instant each concerned customer's episodes are recomputed from, as a
    relation (customer_id, recompute_from_at); with `by_ref`, per 8-character
    customer_ref the earliest instant of its customers (fct_episodes has
    only the ref: a customer sharing it is re-read from its current rows). -#}
{% macro serviq_episode_from(by_ref=false) -%}
    {%- set relation = serviq_incremental_plan().episode_from -%}
    {%- if by_ref -%}
    (select left(by_customer.customer_id, 8) as customer_ref,
        min(by_customer.recompute_from_at) as recompute_from_at
    from {{ relation }} as by_customer
    group by left(by_customer.customer_id, 8))
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- A join keeping the rows of `alias` an incremental run recomputes: the
    concerned customers' rows from their instant on (`key_column` holds the
    customer_id; with `by_ref`, every customer sharing a concerned ref, from
    the ref's instant on).

    The instant is compared as a difference, which DuckDB keeps as a filter
    after the customer join instead of guessing it as a join condition (a
    guess that ran a new day at 30M contacts out of memory; DECISIONLOG
    "Incremental builds"). -#}
{% macro serviq_join_episode_from(alias, key_column, started_column, by_ref=false) -%}
    inner join {{ serviq_episode_from(by_ref) }} as episode_from
    {%- if by_ref %}
        on left({{ alias }}.{{ key_column }}, 8) = episode_from.customer_ref
    {%- else %}
        on {{ alias }}.{{ key_column }} = episode_from.customer_id
    {%- endif %}
        and {{ seconds_between('episode_from.recompute_from_at', alias ~ '.' ~ started_column) }} >= 0
        {%- set floor = serviq_episode_from_floor() %}
        {%- if floor %}
        -- no row before the earliest instant: DuckDB skips the row groups
        -- that end before it instead of reading every stored row
        and {{ alias }}.{{ started_column }} >= {{ floor }}
        {%- endif %}
{%- endmacro %}

{#- The earliest instant any customer's episodes are recomputed from, as a
    timestamp literal (none when no customer's are), read once per run.
    The stored rows are in load order, so on a year of 36M contacts the
    episode models' join to audit.dbt_build_episode_from read every stored
    contact with all its columns, when the earliest instant was five weeks
    back (DECISIONLOG "Incremental builds"). -#}
{% macro serviq_episode_from_floor() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set found = serviq_query_once('episode_from_floor',
        'select cast(min(recompute_from_at) as varchar) from '
        ~ serviq_incremental_plan().episode_from) -%}
    {%- if not found or found[0] in ('None', '') -%}{{ return(none) }}{%- endif -%}
    {{ return("cast('" ~ found[0] ~ "' as timestamp with time zone)") }}
{%- endmacro %}

{#- Pre-hook of the episode models (incremental, no unique key: rows are
    appended after this delete): on an incremental run it deletes the rows
    serviq_join_episode_from() selects (`key_column` holds the customer_id,
    with `by_ref` the customer_ref), so an episode that merged into an
    earlier one loses its row; all rows when the run recomputes every
    episode. Nothing on a full build. -#}
{% macro serviq_delete_episode_rows(key_column, started_column, by_ref=false) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    {%- if serviq_episodes_partial() %}
    using {{ serviq_episode_from(by_ref) }} as episode_from
    where stored.{{ key_column }} = episode_from.{{ 'customer_ref' if by_ref else 'customer_id' }}
        and stored.{{ started_column }} >= episode_from.recompute_from_at
        {%- set floor = serviq_episode_from_floor() %}
        {%- if floor %}
        and stored.{{ started_column }} >= {{ floor }}
        {%- endif %}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook twin for contacts without a customer (they stand alone, never
    in an episode): those from incremental_since on are recomputed. -#}
{% macro serviq_delete_contacts_without_customer() -%}
    {%- if serviq_episodes_partial() -%}
    delete from {{ this }}
    where customer_id is null and contact_date >= {{ serviq_recompute_from() }}
    {%- endif -%}
{%- endmacro %}

{#- A predicate: `column` is a day whose episode figures an incremental run
    can change: every day from serviq_episode_recompute_from() on (new
    episodes, and those that vanished by joining an earlier one), and the
    days of the episodes that can have changed (an extended episode keeps
    its old date): those with a handled contact from a day before that on,
    a resolution pending, or a contact a new survey or back-office item
    points to (serviq_episode_days). -#}
{% macro serviq_in_episode_days(column) -%}
    {%- set days = serviq_episode_days() -%}
    ({{ column }} >= {{ serviq_episode_recompute_from() }}
    {%- if days %}
        or {{ serviq_in_days(column, days) }}
    {%- endif -%})
{%- endmacro %}

{#- The first column of `query`'s rows as strings, run once per dbt
    invocation under `name` and kept in the graph dict all nodes share: the
    day lists below are read by several models and pre-hooks of one build. -#}
{% macro serviq_query_once(name, query) -%}
    {%- set cache_key = 'serviq_query_once:' ~ name ~ ':' ~ invocation_id -%}
    {%- if cache_key not in graph -%}
        {%- set found = [] -%}
        {%- for row in run_query(query).rows -%}{%- do found.append(row[0] | string) -%}{%- endfor -%}
        {%- do graph.update({cache_key: found}) -%}
    {%- endif -%}
    {{ return(graph[cache_key]) }}
{%- endmacro %}

{#- The days before serviq_episode_recompute_from() of the episodes whose
    figures can have changed (see serviq_in_episode_days), as ISO dates,
    read once per run from fct_episodes (current: only its descendants call
    this) and inlined as literals (the pointed contacts are joined from
    their side, a few rows: as an `exists` per episode DuckDB grouped every
    episode first, 2.2 CPU s at 3.7M contacts against 0.25): as a subquery repeated in every CTE and
    pre-hook of the four episode marts it was evaluated over and over (at
    1.2M contacts the marts took 3-10x their full-build time). -#}
{% macro serviq_episode_days() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select cast(changed.episode_date as {{ dbt.type_string() }})
        from (
            select changed_episodes.episode_date
            from {{ ref('fct_episodes') }} as changed_episodes
            where changed_episodes.episode_date < {{ serviq_episode_recompute_from() }}
                and (changed_episodes.is_resolution_pending
                    or changed_episodes.last_handled_started_at
                        >= {{ dbt.dateadd('day', -1, serviq_episode_recompute_from()) }})
            {%- if serviq_incremental_plan().pointed is not none %}
            union
            select changed_episodes.episode_date
            from {{ ref('fct_episodes') }} as changed_episodes
            {{ serviq_join_pointed_contacts('changed_episodes') }}
            where changed_episodes.episode_date < {{ serviq_episode_recompute_from() }}
            {%- endif %}
        ) as changed
        group by changed.episode_date
        order by 1
    {%- endset -%}
    {{ return(serviq_query_once('serviq_episode_days', query)) }}
{%- endmacro %}

{#- Pre-hook of incremental marts whose recomputed days are not one date
    range: delete every stored row of those days first, so that a day left
    without rows (its only episode joined an earlier one) loses its old
    ones. With `also_lookback_days` (the value lookback), also every day from
    serviq_recompute_from(also_lookback_days, also_lookback_days) on and the
    days of contacts new offers point to. -#}
{% macro serviq_delete_episode_days(column, also_lookback_days=none) -%}
    {%- if serviq_is_partial() -%}
    delete from {{ this }}
    where {{ serviq_in_episode_days(column) }}
    {%- if also_lookback_days is not none %}
        or {{ serviq_in_recompute(column, also_lookback_days, also_lookback_days, 0, true, ['offers']) }}
    {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- A predicate: the period (`grain_column` = 'week' or 'month', starting
    on `start_column`) holds a day serviq_in_episode_days() selects, or
    starts on or after the week / month of that lookback's first day.
    The periods are listed `distinct`: DuckDB builds the `in` on every row
    the subquery returns, one per episode (DECISIONLOG "Incremental
    builds"). -#}
{% macro serviq_in_episode_periods(grain_column, start_column) -%}
    {%- set recompute_from = serviq_episode_recompute_from() -%}
    {%- for grain in ['week', 'month'] %}
    {{ 'or ' if not loop.first }}({{ grain_column }} = '{{ grain }}' and (
        {{ start_column }} >= cast({{ dbt.date_trunc(grain, recompute_from) }} as date)
        or {{ start_column }} in (
            select distinct changed_periods.episode_{{ grain }}
            from {{ ref('fct_episodes') }} as changed_periods
            where {{ serviq_in_episode_days('changed_periods.episode_date') }}
        )
    ))
    {%- endfor %}
{%- endmacro %}

{#- Pre-hook twin of serviq_delete_episode_days for period marts. -#}
{% macro serviq_delete_episode_periods(grain_column, start_column) -%}
    {%- if serviq_is_partial() -%}
    delete from {{ this }}
    where {{ serviq_in_episode_periods(grain_column, start_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The days before incremental_since of contacts that rows of `entities`
    loaded since the last build point to (e.g. an offer about an older
    contact), each with the `expand_days` before it, as a list of ISO dates;
    [] without entities, every pointing entity's with `none`. For models
    that recompute those days whole. -#}
{% macro serviq_pointed_days(expand_days=0, entities=[]) -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- if (entities is not none and not entities) or plan.pointed is none or not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select distinct cast(contact_date as {{ dbt.type_string() }})
        from {{ plan.pointed }}
        {%- if entities is not none %}
        where entity in ('{{ entities | join("', '") }}')
        {%- endif %}
    {%- endset -%}
    {%- set name = 'all' if entities is none else entities | sort | join(',') -%}
    {%- set found = serviq_query_once('serviq_pointed_days:' ~ name, query) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set days = [] -%}
    {%- for text in found -%}
        {%- set day = modules.datetime.date.fromisoformat(text[:10]) -%}
        {%- for back in range(expand_days + 1) -%}
            {%- set earlier = (day - back * one_day).isoformat() -%}
            {%- if earlier not in days -%}{%- do days.append(earlier) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(days | sort) }}
{%- endmacro %}

{#- A subquery of `column` (contact_id, customer_id, contact_date or
    started_at) of the contacts before incremental_since that rows of
    `entities` (surveys, offers, complaints, backoffice_items; `none`: all)
    loaded since the last build point to. Empty when the plan came from vars (a hand-run
    build then does not see late pointers: run it through pipelines.build). -#}
{% macro serviq_pointed(column, entities) -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- if plan.pointed is none -%}
    select cast(null as {{ dbt.type_string() }}) as {{ column }} where 1 = 0
    {%- else -%}
    select pointed.{{ column }}
    from {{ plan.pointed }} as pointed
    {%- if entities is not none %}
    where pointed.entity in ('{{ entities | join("', '") }}')
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A predicate on a local-date column: from serviq_recompute_from(...) on,
    or one of the days new rows of `pointed_entities` point to (with
    `pointed_expand_days` before each). -#}
{% macro serviq_in_recompute(column, lookback_days=0, end_window_days=none, pointed_expand_days=0,
    with_complaints=false, pointed_entities=[]) -%}
    ({{ column }} >= {{ serviq_recompute_from(lookback_days, end_window_days, with_complaints) }}
    {%- set days = serviq_pointed_days(pointed_expand_days, pointed_entities) %}
    {%- if days %}
        or {{ serviq_in_days(column, days) }}
    {%- endif -%})
{%- endmacro %}

{#- An inner join keeping the episodes of `relation_alias` (fct_episodes or
    a model before it) that can hold a contact a new survey or back-office
    item points to (same customer; the contact started between a day before
    the episode's start and a day after its last handled contact: a margin,
    so the join needs no member list). Only when the plan has pointed
    contacts (serviq_incremental_plan().pointed). -#}
{% macro serviq_join_pointed_contacts(relation_alias) -%}
    inner join (
        select distinct
            left(pointed.customer_id, 8) as customer_ref,
            pointed.started_at
        from {{ serviq_incremental_plan().pointed }} as pointed
        where pointed.entity in ('surveys', 'backoffice_items')
    ) as pointed
        on {{ relation_alias }}.customer_ref = pointed.customer_ref
        and pointed.started_at >= {{ dbt.dateadd('day', -1, relation_alias ~ '.episode_started_at') }}
        and pointed.started_at < {{ dbt.dateadd('day', 1, relation_alias ~ '.last_handled_started_at') }}
{%- endmacro %}

{#- A predicate for a mart that sums a contact-grain model by group
    (`columns`, each never null, e.g. day, site, queue, channel): the group
    holds a contact that new rows of `entities` point to. Such a contact
    keeps its group (surveys and complaints change only its counts), so the
    mart recomputes those groups, not their whole days. -#}
{% macro serviq_in_pointed_groups(columns, contacts_relation, entities) -%}
    {%- if 'contact_date' not in columns -%}
        {{ exceptions.raise_compiler_error("serviq_in_pointed_groups: the groups must include contact_date") }}
    {%- endif -%}
    ({{ serviq_in_days('contact_date', serviq_pointed_days(0, entities)) }}
        and ({{ columns | join(', ') }}) in (
        select
            {%- for column in columns %}
            pointed_groups.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ contacts_relation }} as pointed_groups
        where {{ serviq_is_pointed('pointed_groups', entities) }}
    ))
{%- endmacro %}

{#- A predicate: `column` (a local date) is one of `days` (ISO dates, or
    dates), written as literals so that DuckDB can skip row groups by their
    min/max; `1 = 0` when `days` is empty. -#}
{% macro serviq_in_days(column, days) -%}
    {%- if days -%}
    {{ column }} in (
        {%- for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
    )
    {%- else -%}
    1 = 0
    {%- endif -%}
{%- endmacro %}

{#- A predicate on `alias` (none: unqualified columns), a contact-grain
    relation (contact_id, contact_date): the contact is one that new rows
    of `entities` (`none`: any entity) point to.
    The day comes first: the pointed contacts' days are known when the SQL
    is written, so DuckDB skips the row groups of other days by their
    min/max instead of looking up every contact id (at 3.66M contacts the
    hotline classification read 6.7M contact rows for 10k, 0.8-1.9 -> 0.2
    CPU s). The days are the planner's local dates of the same instants,
    as serviq_in_recompute() uses them. -#}
{% macro serviq_is_pointed(alias, entities) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    ({{ serviq_in_days(prefix ~ 'contact_date', serviq_pointed_days(0, entities)) }}
        and {{ prefix }}contact_id in ({{ serviq_pointed('contact_id', entities) }}))
{%- endmacro %}

{#- Pre-hook of marts built by serviq_in_pointed_groups() (incremental, no
    unique key: rows are appended after this delete). On an incremental
    run it deletes the rows the run recomputes: every day from
    incremental_since on and the groups new rows point into; all rows when
    there is no plan (the model then recomputes everything). Nothing on a
    full build. -#}
{% macro serviq_delete_pointed_groups(columns, contacts_model, entities) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_recompute('contact_date') }}
        or {{ serviq_in_pointed_groups(columns, ref(contacts_model), entities) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}
