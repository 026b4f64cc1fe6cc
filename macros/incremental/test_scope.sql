{#- Incremental builds test what they wrote (DECISIONLOG.md, "Incremental
    builds"). dbt wraps the model of every generic data test in
    get_where_subquery(); on an incremental build this override adds a
    filter to the test's `where`:
    - raw tables (source tests) and staging views: the rows of loads
      finished after the previous build (ingestion already refuses a key
      loaded by an earlier file, so uniqueness across loads holds);
    - incremental models: rows from their lookback on (the value models and
      the agent mart: two value windows before the earliest new day or
      complaint and the previous end; the others: one repeat window), by
      the first of contact_date, episode_date, period_start_date the
      relation has (null dates kept), and the older contacts new rows
      point to (audit.dbt_build_pointed) in models with a contact_id. Older
      days an episode or hotline mart rewrote (an extended old episode, a
      group holding a pointed contact) are not re-tested.
    Tables rebuilt whole are tested whole; singular tests choose their own
    scope (episodes_respect_the_repeat_window: the customers whose episodes
    were regrouped); full builds test everything. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {#- parsing renders tests in a context without the project's macros -#}
    {%- if execute -%}
        {%- set scope = serviq_test_scope(relation) -%}
        {%- if scope -%}{%- do conditions.append('(' ~ scope ~ ')') -%}{%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro serviq_test_scope(relation) -%}
    {%- if not execute or target.type == 'spark' or relation.schema is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- if plan.since is none or plan.loads_after is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set new_loads -%}
        (select new_loads.load_id from audit.load_audit as new_loads
         where new_loads.finished_at > cast('{{ plan.loads_after }}' as timestamp with time zone))
    {%- endset -%}
    {%- if relation.schema == 'raw' -%}
        {{ return('_load_id in ' ~ new_loads) }}
    {%- endif -%}
    {%- set tested = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', relation.identifier) | list -%}
    {%- if tested | length != 1 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set node = tested[0] -%}
    {%- set columns = serviq_relation_columns(relation) -%}
    {%- if node.config.materialized == 'view' and 'load_id' in columns -%}
        {{ return('load_id in ' ~ new_loads) }}
    {%- endif -%}
    {%- if node.config.materialized != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set valued = node.name in (
        'int_offers_attributed_to_contacts', 'int_service_contacts_valued',
        'mart_value_daily', 'mart_evaluation_agent_daily', 'mart_dashboard_agent_daily') -%}
    {%- set lookback = 2 * var('value_window_days') if valued else var('repeat_window_days') -%}
    {#- and the older contacts new rows point to, where the model has them;
        by their days first in a contact-grain model (serviq_is_pointed: the
        OR then still lets DuckDB skip the other days' row groups) -#}
    {%- set pointed = '' -%}
    {%- if plan.pointed is not none and 'contact_date' in columns and 'contact_id' in columns -%}
        {%- set pointed = ' or ' ~ serviq_is_pointed(none, none) -%}
    {%- elif plan.pointed is not none and 'contact_id' in columns -%}
        {%- set pointed = ' or contact_id in (' ~ serviq_pointed('contact_id', none) ~ ')' -%}
    {%- endif -%}
    {%- for column in ['contact_date', 'episode_date', 'period_start_date'] -%}
        {%- if column in columns -%}
            {{ return('(' ~ column ~ ' is null or ' ~ column ~ ' >= '
                ~ serviq_recompute_from(lookback, lookback, valued) ~ pointed ~ ')') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- The column names of a built relation, lower case, read from the
    database once per dbt invocation (kept in the graph dict all nodes
    share): the documented columns of a model are often a subset, and a
    test of an incremental model without its date column documented used to
    read the whole table. -#}
{% macro serviq_relation_columns(relation) -%}
    {%- set cached = graph.get('serviq_relation_columns', {}) -%}
    {%- if cached.get('invocation_id') != invocation_id -%}
        {%- set cached = {'invocation_id': invocation_id, 'columns': {}} -%}
        {%- do graph.update({'serviq_relation_columns': cached}) -%}
    {%- endif -%}
    {%- set key = relation | string -%}
    {%- if key not in cached.columns -%}
        {%- do cached.columns.update({key: adapter.get_columns_in_relation(relation)
            | map(attribute='name') | map('lower') | list}) -%}
    {%- endif -%}
    {{ return(cached.columns[key]) }}
{%- endmacro %}
