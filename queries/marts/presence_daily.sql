-- grain: one row per hotspot (role hotspot in register_version) per London day of the presence window (the window_days days ending on as_of) whose pings were sent
-- grain key: hotspot_id, visit_date
-- parameters: as_of (date), weights_version (varchar), register_version (varchar), presence_visits_run (varchar)
-- columns:
--   hotspot_id        varchar  the hotspot
--   visit_date        date     the London day
--   presence_minutes  double   minutes with at least one officer present on foot (the foot visits that started that day, overlaps merged)
--   officer_minutes   double   the foot visits' minutes added up (two officers together for 10 minutes: 20)
--   visits            bigint   foot visits (one per device: two officers together make two)
--   devices           bigint   distinct devices with a foot visit
--   pass_throughs     bigint   vehicle runs through the hotspot (counted apart, not as patrol)
--
-- Definitions: DESIGN section 12. Visits and pass-throughs are the rows of the presence_visits run
-- presence_visits_run (runMarts runs presence_visits first, as a run of its own, and gives its id: the GPS runs are
-- measured once; by id, as a run that found no visit has no rows and the view would show an older run's).
-- A visit counts wholly on the day it started, like a manual visit in
-- patrol_dosage (decision). Every hotspot of the register has a row for every day of the window whose pings were
-- sent (its patrol_pings drop exists: stg_patrol_ping_days): a day without a visit is then a day of no presence,
-- 0; a day without pings (an outage, a force that sends none) has no rows: it is not measured.
-- Each night's run computes the window's days again (shr_presence_settings.window_days): pings dropped late
-- still count while their day is in the window.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version, cast(? as varchar) as presence_visits_run  -- noqa: LT05 (the composer finds the params line whole)
),

-- the window's days whose pings were sent
window_days as (
  select date_add('day', -t.days_back, p.as_of) as visit_date
  from params as p
  cross join shr_presence_settings as s
  cross join unnest(sequence(0, s.window_days - 1, 1)) as t (days_back)
  inner join stg_patrol_ping_days as g
    on date_add('day', -t.days_back, p.as_of) = g.ping_date
),

spine as (
  select
    h.hotspot_id,
    d.visit_date
  from shr_hotspot_list as h
  cross join window_days as d
),

-- the visits of the run presence_visits_run (every run's rows: presence_visits_runs, the run id its file's name),
-- read once (Trino reads a table again for every reference to it); a device's first run of the day counts it once
runs as (
  select
    v.hotspot_id,
    v.visit_date,
    v.kind = 'vehicle' as is_vehicle,
    v.patrol_started_at,
    v.started_at,
    v.ended_at,
    -- exact: ended_at is the last ping plus whole milliseconds (presence_visits' minutes are rounded)
    date_diff('millisecond', v.started_at, v.ended_at) as duration_ms,
    row_number() over (
      partition by v.hotspot_id, v.visit_date, v.kind, v.device_id order by v.started_at
    ) as device_run
  from presence_visits_runs as v
  cross join params as p
  -- the run id: the result file's name ("$path": Athena's column of a row's file, and the local view's)
  where v.as_of = p.as_of and regexp_extract(v."$path", '([^/]+)\.parquet$', 1) = p.presence_visits_run  -- noqa: RF05
),

-- a patrol's span is the time someone was present (vehicles, without patrols, are only counted)
patrol_spans as (
  select
    hotspot_id,
    visit_date,
    is_vehicle,
    date_diff('millisecond', min(started_at), max(ended_at)) as span_ms,
    sum(duration_ms) as run_ms,
    count(*) as runs,
    count_if(device_run = 1) as new_devices
  from runs
  group by hotspot_id, visit_date, is_vehicle, patrol_started_at
),

presence as (
  select
    hotspot_id,
    visit_date,
    -- sums of counts: a bigint on Trino, a 128-bit integer on DuckDB unless cast
    cast(sum(span_ms) filter (where not is_vehicle) as double) as presence_ms,
    cast(sum(run_ms) filter (where not is_vehicle) as double) as officer_ms,
    cast(sum(runs) filter (where not is_vehicle) as bigint) as visits,
    cast(sum(new_devices) filter (where not is_vehicle) as bigint) as devices,
    cast(sum(runs) filter (where is_vehicle) as bigint) as pass_throughs
  from patrol_spans
  group by hotspot_id, visit_date
),

final as (
  select
    s.hotspot_id,
    s.visit_date,
    round(coalesce(p.presence_ms, 0e0) / 60000e0, 6) as presence_minutes,
    round(coalesce(p.officer_ms, 0e0) / 60000e0, 6) as officer_minutes,
    coalesce(p.visits, 0) as visits,
    coalesce(p.devices, 0) as devices,
    coalesce(p.pass_throughs, 0) as pass_throughs
  from spine as s
  left join presence as p
    on s.hotspot_id = p.hotspot_id and s.visit_date = p.visit_date
)

select * from final
order by hotspot_id, visit_date
