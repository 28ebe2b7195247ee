-- DuckDB definitions of the Trino (Athena engine v3) functions the queries use and DuckDB lacks or spells
-- differently. Loaded by the DuckDB engine before any query; Athena needs nothing. Each macro keeps Trino's
-- argument order and result type for the arguments the queries pass (dates, not timestamps, for date_add).

-- with_timezone(timestamp, zone): the instant a wall-clock time in `zone` denotes (Trino: timestamp with time
-- zone). `with_timezone(ts, 'UTC') at time zone 'Europe/London'` is then the London wall clock in both engines.
create or replace macro with_timezone(ts, zone) as timezone(zone, ts);

-- date_add(unit, n, date) on dates, as Trino: a date comes back (DuckDB's date + interval is a timestamp)
create or replace macro date_add(unit, n, d) as
  case unit
    when 'day' then d + cast(n as integer)
    when 'week' then d + 7 * cast(n as integer)
    when 'month' then cast(d + to_months(cast(n as integer)) as date)
    when 'year' then cast(d + to_years(cast(n as integer)) as date)
  end;

-- ISO-8601 calendar parts: Monday = 1 .. Sunday = 7; the ISO week and the year it belongs to
create or replace macro day_of_week(d) as isodow(d);
create or replace macro week_of_year(d) as week(d);
create or replace macro year_of_week(d) as isoyear(d);

create or replace macro regexp_like(s, pattern) as regexp_matches(s, pattern);

-- sequence(start, stop, step) as an array to unnest, e.g. one row per week
create or replace macro sequence(start_value, stop_value, step) as generate_series(start_value, stop_value, step);
