{#
    The column rules of one model checked in a single scan of it, one row per broken rule
    (column_name, rule_name, failing_rows): a test fails with the number of rules broken.

      not_null         [column, ...]                     the column is never null
      accepted_values  {column: [value, ...]}            non-null values are among these
                                                         (compared as strings, as dbt's
                                                         accepted_values with quote: true)
      accepted_range   {column: {min_value, max_value,   non-null values lie within the
                        inclusive}}                       bounds (both optional, inclusive
                                                         unless inclusive: false), as
                                                         accepted_range.sql

    Why one test instead of a test per column and rule: each test is a query of its own, and
    binding a query over a staging view lists and reads the footer of every landed file of
    the view's entity, a cost that grows with the lake's days and that a nightly run paid
    about 600 times (docs/benchmarks.md); each test is also an asset check event that
    Dagster records. The rules' meaning is unchanged: a rule on a column reads as the
    per-column test it replaces did, and the `where` config (the partition window) applies
    to the whole scan.
#}
{% test columns_valid(model, not_null=[], accepted_values={}, accepted_range={}) %}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append({'column': column, 'rule': 'not_null', 'failing': column ~ ' is null'}) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- do rules.append({'column': column, 'rule': 'accepted_values',
                         'failing': column ~ ' is not null and cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ') not in (' ~ quoted | join(', ') ~ ')'}) -%}
{%- endfor -%}
{%- for column, bounds in accepted_range.items() -%}
    {%- set min_value = bounds.get('min_value') -%}
    {%- set max_value = bounds.get('max_value') -%}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("columns_valid: accepted_range of " ~ column ~ " needs min_value or max_value") }}
    {%- endif -%}
    {%- set inclusive = bounds.get('inclusive', true) -%}
    {%- set within = [] -%}
    {%- if min_value is not none -%}{%- do within.append(column ~ (' >= ' if inclusive else ' > ') ~ min_value) -%}{%- endif -%}
    {%- if max_value is not none -%}{%- do within.append(column ~ (' <= ' if inclusive else ' < ') ~ max_value) -%}{%- endif -%}
    {%- do rules.append({'column': column, 'rule': 'accepted_range',
                         'failing': column ~ ' is not null and not (' ~ within | join(' and ') ~ ')'}) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error("columns_valid needs at least one rule (not_null, accepted_values, accepted_range)") }}
{%- endif %}

with

counted as (

    select
        {%- for r in rules %}
        sum(case when {{ r.failing }} then 1 else 0 end) as failing_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

rules as (

    {%- for r in rules %}
    select {{ loop.index }} as rule_number, '{{ r.column }}' as column_name, '{{ r.rule }}' as rule_name
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}

),

checked as (

    select
        rules.column_name,
        rules.rule_name,
        case rules.rule_number
            {%- for r in rules %}
            when {{ loop.index }} then counted.failing_{{ loop.index }}
            {%- endfor %}
        end as failing_rows

    from rules
    cross join counted

)

select * from checked
where failing_rows > 0

{% endtest %}
