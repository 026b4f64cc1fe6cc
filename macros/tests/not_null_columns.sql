{#- A generic test: none of the given columns holds a null. One test node
    per model instead of one `not_null` node per column: dbt's per-node
    cost (~0.1 s each, 150 of them) dominated small incremental builds
    (DECISIONLOG.md, "Platform and pipeline"). Each failing row names a
    column and how many of its rows are null. `model` arrives through
    get_where_subquery like any generic test's, so incremental builds test
    only what they wrote. Portable SQL (DuckDB, PostgreSQL, Spark).

    How the nulls are counted differs by engine. DuckDB: one filtered count
    per column; each `column is null` filter is pushed into the scan and row
    groups whose statistics hold no null are skipped, so a clean table is
    barely read (fct_episodes at 3M contacts: 0.16 -> 0.01 CPU s).
    PostgreSQL and Spark: the model is read once for all columns. -#}
{% test not_null_columns(model, columns) %}
{%- set count_each_column_apart = target.type == 'duckdb' %}

with
{%- if not count_each_column_apart %}

null_counts as (

    select
        {%- for column in columns %}
        count(case when {{ column }} is null then 1 end) as null_rows_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}

),
{%- endif %}

per_column as (

    {%- for column in columns %}
    {%- if count_each_column_apart %}
    select '{{ column }}' as column_name, count(*) as null_rows
    from {{ model }}
    where {{ column }} is null
    {%- else %}
    select '{{ column }}' as column_name, null_rows_{{ loop.index }} as null_rows
    from null_counts
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select column_name, null_rows
from per_column
where null_rows > 0

{% endtest %}
