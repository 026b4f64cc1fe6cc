{#- A generic test: none of the given columns holds a null. One test node
    per model instead of one `not_null` node per column: dbt's per-node
    cost (~0.1 s each, 150 of them) dominated small incremental builds
    (DECISIONLOG.md, "Platform and pipeline"). The model is read once; each
    failing row names a column and how many of its rows are null. `model`
    arrives through get_where_subquery like any generic test's, so
    incremental builds test only what they wrote. Portable SQL (DuckDB,
    PostgreSQL, Spark). -#}
{% test not_null_columns(model, columns) %}

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

{% endtest %}
