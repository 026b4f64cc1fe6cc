{#- Day sets: what a model keyed by a local day recomputes on an
    incremental run, when that is a tail of days plus older days one by one.
    A day set is {'from': the first day of the tail (a Python date), 'days':
    the older days, ISO dates, sorted}. The older days are listed as literals
    (read once per run), not as subqueries: repeated in every CTE and
    pre-hook a subquery is evaluated over and over (serviq_episode_days). -#}

{#- The local days (`date_column`) of the rows of `model`, a staging model
    with load_id, loaded since the last build, as ISO dates; [] when the
    plan has no load watermark (hand-run builds: like late pointers, late
    rows of such a model are then not seen). -#}
{% macro serviq_loaded_days(model, date_column) -%}
    {%- set plan = serviq_incremental_plan() -%}
    {%- if plan.loads_after is none or not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select distinct cast(loaded.{{ date_column }} as {{ dbt.type_string() }})
        from {{ ref(model) }} as loaded
        where loaded.load_id in ({{ serviq_new_load_ids() }})
            and loaded.{{ date_column }} is not null
        order by 1
    {%- endset -%}
    {{ return(serviq_query_once('serviq_loaded_days:' ~ model ~ ':' ~ date_column, query)) }}
{%- endmacro %}

{#- A subquery of the load ids loaded since the last build (the plan's
    load watermark; callers check it is set). -#}
{% macro serviq_new_load_ids() -%}
    select new_loads.load_id from audit.load_audit as new_loads
    where new_loads.status = 'loaded'
        and new_loads.finished_at > cast('{{ serviq_incremental_plan().loads_after }}' as timestamp with time zone)
{%- endmacro %}

{#- A day set from its first tail day and older days (ISO dates or dates),
    each older day taken with the days `offsets` from it (e.g. [-1, 0]: the
    day and the one before); days in the tail are dropped from the list. -#}
{% macro serviq_day_set(from_day, days, offsets=[0]) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set older = [] -%}
    {%- for text in days -%}
        {%- set day = modules.datetime.date.fromisoformat((text | string)[:10]) -%}
        {%- for offset in offsets -%}
            {%- set moved = day + offset * one_day -%}
            {%- if moved < from_day and moved.isoformat() not in older -%}
                {%- do older.append(moved.isoformat()) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({'from': from_day, 'days': older | sort}) }}
{%- endmacro %}

{#- A predicate: the local-date `column` is a day of `day_set`, or, with
    `offsets`, a day that far from one (e.g. [0, 1]: a day of the set or the
    day after one). -#}
{% macro serviq_in_day_set(column, day_set, offsets=[0]) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set moved = serviq_day_set(day_set.from + (offsets | min) * one_day, day_set.days, offsets) -%}
    ({{ column }} >= cast('{{ moved.from.isoformat() }}' as date)
    {%- if moved.days %}
        or {{ serviq_in_days(column, moved.days) }}
    {%- endif -%})
{%- endmacro %}

{#- The agent-days int_agent_days_measured recomputes. A handled contact
    counts on its own day or, on a night shift, the day before; so every day
    a changed contact falls on is taken with the day before it:
    - the tail: a day before the first day the episode marts recompute
      (new contacts, their repeat window, and censoring near the end);
    - the days of older episodes whose figures changed (serviq_episode_days)
      and of older contacts new surveys or complaints point to;
    - around each day of newly loaded shifts, the day before and after too:
      a shift on day D takes day D's contacts from the shift of D - 1, and
      the next day's contacts when D + 1 has none.
    Agents loaded force a full build (pipelines/incremental.py), so their
    history needs no days here. -#}
{% macro serviq_agent_day_set() -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set window = var('repeat_window_days') -%}
    {%- set from_day = serviq_recompute_start(window, window) - one_day -%}
    {%- set changed = serviq_day_set(from_day,
        serviq_episode_days() + serviq_pointed_days(0, ['surveys', 'complaints']), [-1, 0]) -%}
    {%- set shifted = serviq_day_set(from_day,
        serviq_loaded_days('stg_serviq__agent_shifts', 'shift_date'), [-1, 0, 1]) -%}
    {{ return(serviq_day_set(from_day, changed.days + shifted.days)) }}
{%- endmacro %}

{#- Pre-hook of int_agent_days_measured (incremental, no unique key: rows
    are appended after this delete): the agent-days an incremental run
    recomputes, so a day that lost its last row loses its stored ones; all
    rows when there is no plan (everything is recomputed). -#}
{% macro serviq_delete_agent_days() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_day_set('activity_date', serviq_agent_day_set()) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A predicate: `column` is a day that mart_hotline_agent_daily or
    mart_evaluation_agent_daily can have recomputed in this run: the
    evaluation mart's days (changed episode days, the value lookback, days
    of contacts new offers point to) and the hotline mart's (from
    incremental_since, which the value lookback already holds, and the days
    of contacts new surveys or complaints point to). For
    mart_dashboard_agent_daily, which sums both. -#}
{% macro serviq_in_agent_mart_days(column) -%}
    {%- set lookback = 2 * var('value_window_days') -%}
    ({{ serviq_in_episode_days(column) }}
        or {{ serviq_in_recompute(column, lookback, lookback, 0, true, ['offers', 'surveys', 'complaints']) }})
{%- endmacro %}

{#- Pre-hook of mart_dashboard_agent_daily (incremental, no unique key:
    rows are appended after this delete): the days it recomputes; all rows
    when there is no plan (everything is recomputed). -#}
{% macro serviq_delete_agent_mart_days() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    {%- if serviq_is_partial() %}
    where {{ serviq_in_agent_mart_days('contact_date') }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}
