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
