-- grain: one row per hotspot per London day (on or before as_of) that a finished presence run as of a date on or
--   before as_of computed: presence_daily's figures from the latest such run whose window held the day
-- parameters: reads params.as_of
-- columns: hotspot_id, visit_date, presence_minutes, officer_minutes, visits, devices, pass_throughs (as
--   presence_daily), computed_as_of (the as-of date of the run they come from). The one home of which presence
--   run speaks for a day: each night's run computes the days of its window again, and the latest has the most
--   pings (those dropped late); presence_daily has a row for every hotspot and day of a run's window, with or
--   without presence, so a day a run found empty is empty, whatever an earlier run found.
-- one read of the view, the latest run per day by a window (each reference to a view is its own scans on Trino)
with ranked as (
  select
    d.hotspot_id,
    d.visit_date,
    d.presence_minutes,
    d.officer_minutes,
    d.visits,
    d.devices,
    d.pass_throughs,
    d.as_of,
    max(d.as_of) over (partition by d.visit_date) as computed_as_of
  from presence_daily as d
  cross join params as p
  where d.as_of <= p.as_of and d.visit_date <= p.as_of
),

final as (
  select
    hotspot_id,
    visit_date,
    presence_minutes,
    officer_minutes,
    visits,
    devices,
    pass_throughs,
    computed_as_of
  from ranked
  where as_of = computed_as_of
)

select * from final
