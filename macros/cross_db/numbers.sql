{#- Round a floating-point expression to `places` decimals, half away from
    zero. PostgreSQL has round(numeric, int) only, so the default goes
    through numeric and back to an 8-byte float. -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'serviq')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    cast(round(cast({{ expression }} as numeric), {{ places }}) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}
