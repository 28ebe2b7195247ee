-- grain: one row per local month through the last complete month before as_of per measure per breakdown: programme-level figures for the funder report, before disclosure control
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   section                              varchar  crime, patrol, arrests, stop_search, tips, satisfaction
--   measure                              varchar  e.g. crime_count, harm, visits, arrests, searches, find_rate, pct_satisfied
--   breakdown                            varchar  all, or a group (never finer than a hotspot)
--   value                                double   the figure
--   unit                                 varchar  count, days, percent or rate
--   numerator                            double   for a percent or rate: its numerator count (for disclosure control)
--   denominator                          double   for a percent or rate: its denominator count
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as date) as month,
    cast(null as varchar) as section,
    cast(null as varchar) as measure,
    cast(null as varchar) as breakdown,
    cast(null as double) as value,
    cast(null as varchar) as unit,
    cast(null as double) as numerator,
    cast(null as double) as denominator
  from params
  where false
)

select * from final
