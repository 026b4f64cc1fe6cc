{#- `last_non_null_so_far(expression, sequence, window)`: the latest non-null
    value of `expression` from the first row of the window partition up to
    the current row (running frame), as one window function: e.g. each
    contact's episode opening, without joining the openings back.
    `window` is the `partition by ... order by ...` text; `sequence` is a
    non-negative integer that increases along that order (a row_number()),
    used where the engine has no IGNORE NULLS.
    DuckDB: `last_value(... ignore nulls)`. Default (PostgreSQL, Spark):
    the max of the zero-padded sequence number glued to the value, with the
    value cut back out (a text value; the padding orders the numbers). -#}
{% macro last_non_null_so_far(expression, sequence, window) -%}
    {{ return(adapter.dispatch('last_non_null_so_far', 'serviq')(expression, sequence, window)) }}
{%- endmacro %}

{% macro default__last_non_null_so_far(expression, sequence, window) -%}
    substr(
        max(lpad(cast({{ sequence }} as {{ dbt.type_string() }}), 20, '0') || {{ expression }}) over (
            {{ window }}
            rows between unbounded preceding and current row
        ),
        21
    )
{%- endmacro %}

{% macro duckdb__last_non_null_so_far(expression, sequence, window) -%}
    last_value({{ expression }} ignore nulls) over (
            {{ window }}
            rows between unbounded preceding and current row
        )
{%- endmacro %}
