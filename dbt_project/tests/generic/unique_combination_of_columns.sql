{#
    The grain test: no two rows share the same values of combination_of_columns.
    Usage (dbt 1.11):
      data_tests:
        - unique_combination_of_columns:
            arguments:
              combination_of_columns: [account_key, date_day]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- if combination_of_columns is string or combination_of_columns | length == 0 -%}
    {{ exceptions.raise_compiler_error("unique_combination_of_columns needs a non-empty list of columns") }}
{%- endif -%}
{%- set columns_csv = combination_of_columns | join(', ') %}

select
    {{ columns_csv }},
    count(*) as n_rows
from {{ model }}
group by {{ columns_csv }}
having count(*) > 1

{% endtest %}
