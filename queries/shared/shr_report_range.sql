-- grain: one row: the first and the last Monday of the weekly marts' report weeks. They run from the ISO week
--   holding the programme start (the earliest clear_from of the register version's hotspots; 52 weeks back
--   when no hotspot has one) to the last complete week, whose Sunday is on or before as_of
-- parameters: reads params.as_of and params.register_version
with programme_start as (
  select min(h.clear_from) as clear_from
  from hotspots as h
  cross join params as p
  where h.register_version = p.register_version and h.role = 'hotspot'
),

last_week as (
  select date_add('day', -7, cast(date_trunc('week', date_add('day', 1, p.as_of)) as date)) as last_week_start
  from params as p
)

select
  l.last_week_start,
  coalesce(
    cast(date_trunc('week', s.clear_from) as date), date_add('day', -7 * 51, l.last_week_start)
  ) as first_week_start
from last_week as l
cross join programme_start as s
