-- grain: one row per hotspot (and one for all hotspots, hotspot_id all) per ISO week through the last complete week ending on or before as_of
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot, or all
--   week_start                           date     Monday of the week (Europe/London)
--   arrests                              bigint   arrests in the week located in the hotspot(s)
--   arrests_last_year                    bigint   the same ISO week of the previous ISO year (week 53 compares with week 52)
--   pct_change_last_year                 double   100 * (arrests - arrests_last_year) / arrests_last_year; null when that is 0
--   z_last_year                          double   2 * (sqrt(arrests) - sqrt(arrests_last_year))
--   flag                                 varchar  up, down or no significant change
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as hotspot_id,
    cast(null as date) as week_start,
    cast(null as bigint) as arrests,
    cast(null as bigint) as arrests_last_year,
    cast(null as double) as pct_change_last_year,
    cast(null as double) as z_last_year,
    cast(null as varchar) as flag
  from params
  where false
)

select * from final
