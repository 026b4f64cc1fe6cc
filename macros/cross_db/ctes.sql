{#- `with name as {{ cte_inlined() }} (...)`: ask the engine to inline a CTE
    into each reader instead of computing it once and storing the result.
    For a wide CTE read by several narrow readers (a window over a few
    columns, a semi-join on one): DuckDB otherwise materialises every column
    of every row once (at 10M contacts, under the memory cap, that spilled
    to disk) where each inlined reader scans only the columns it needs from
    the (columnar) table. Only a hint: the rows are the same either way.
    DuckDB: `not materialized`; other engines: nothing (PostgreSQL 12+ would
    accept it, but its planner is left to choose; Spark has no syntax). -#}
{% macro cte_inlined() -%}
    {{ return(adapter.dispatch('cte_inlined', 'serviq')()) }}
{%- endmacro %}

{% macro default__cte_inlined() -%}
{%- endmacro %}

{% macro duckdb__cte_inlined() -%}
    not materialized
{%- endmacro %}

{#- `with name as {{ cte_materialized() }} (...)`: the opposite hint, compute
    the CTE once. DuckDB: `materialized`; other engines: nothing. -#}
{% macro cte_materialized() -%}
    {{ return(adapter.dispatch('cte_materialized', 'serviq')()) }}
{%- endmacro %}

{% macro default__cte_materialized() -%}
{%- endmacro %}

{% macro duckdb__cte_materialized() -%}
    materialized
{%- endmacro %}

{#- The hint for an episode model's CTE of the contacts it recomputes, read
    by several window passes: inlined, unless this is an incremental build
    whose planner counted at most `max_rows` such contacts; then the few
    rows are computed once instead of each reader joining the whole
    contacts table to the recomputed customers again (DECISIONLOG
    "Incremental builds": at 10.9M contacts, a new day's 314k rows, 5.0 ->
    1.9 CPU s in the grouping). A new day over 30 days of 30M contacts
    recomputes 14.3M: those stay inlined, as in a full build. -#}
{% macro cte_for_recomputed_episodes(max_rows=2000000) -%}
    {%- set planned = serviq_incremental_plan().episode_contacts if serviq_episodes_partial() else none -%}
    {%- if planned is not none and planned <= max_rows -%}
        {{ cte_materialized() }}
    {%- else -%}
        {{ cte_inlined() }}
    {%- endif -%}
{%- endmacro %}
