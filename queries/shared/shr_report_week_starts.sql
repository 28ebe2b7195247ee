-- grain: one row per report week of the weekly marts: its Monday (Europe/London), none when the range is empty
-- parameters: through shr_report_range
select cast(t.week_start as date) as week_start
from shr_report_range as r
cross join
  unnest(
    sequence(r.first_week_start, greatest(r.first_week_start, r.last_week_start), interval '7' day)
  ) as t (week_start)
where cast(t.week_start as date) <= r.last_week_start
