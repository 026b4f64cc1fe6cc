{#- A generic test: none of the given columns holds a null. One test node
    per model instead of one `not_null` node per column: dbt's per-node
    cost (~0.1 s each, 150 of them) dominated small incremental builds
    (DECISIONLOG.md, "Platform and pipeline"). Each failing row names a
    column and how many of its rows are null. PostgreSQL and Spark read the
    model once for all columns; DuckDB counts each column's nulls apart
    (below). `model`
    arrives through get_where_subquery like any generic test's, so
    incremental builds test only what they wrote. Portable SQL (DuckDB,
    PostgreSQL, Spark). -#}
{% test not_null_columns(model, columns) %}
{%- if target.type == 'duckdb' %}

{#- DuckDB: one filtered count per column. Each `column is null` filter is
    pushed into the scan, and row groups whose statistics hold no null are
    skipped, so a clean table is barely read (fct_episodes at 3M contacts:
    0.16 -> 0.01 CPU s; DECISIONLOG.md, "Platform and pipeline"). -#}
with per_column as (

    {%- for column in columns %}
    select '{{ column }}' as column_name, count(*) as null_rows
    from {{ model }}
    where {{ column }} is null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select column_name, null_rows
from per_column
where null_rows > 0

{%- else %}

with null_counts as (

    select
        {%- for column in columns %}
        count(case when {{ column }} is null then 1 end) as null_rows_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}

),

per_column as (

    {%- for column in columns %}
    select '{{ column }}' as column_name, null_rows_{{ loop.index }} as null_rows from null_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select column_name, null_rows
from per_column
where null_rows > 0

{%- endif %}

{% endtest %}
