{#- Run a list of SQL statements on the target (a Spark cluster): used by
    pipelines/spark/build.py to register the raw-zone views and export the
    marts when Spark is not in this process (thrift / http methods).
    dbt run-operation serviq_run_statements --args '{statements: [...]}' -#}
{% macro serviq_run_statements(statements) %}
    {%- for statement in statements %}
        {%- do run_query(statement) %}
    {%- endfor %}
    {{ log("serviq: ran " ~ (statements | length) ~ " statement(s)", info=True) }}
{% endmacro %}
