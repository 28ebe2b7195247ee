-- grain: one row per run of a device's pings inside a hotspot (a foot visit, or a vehicle passing through) that
--   started on a London day of the presence window: the window_days days ending on as_of
-- parameters: reads params.as_of, and params.register_version through shr_hotspot_cells
-- columns: hotspot_id, device_id, visit_date (the London day of started_at), started_at, ended_at, pings,
--   duration_ms (bigint: ended_at - started_at in milliseconds), median_speed_mps (null when no ping of the run
--   has a speed), is_vehicle, patrol_started_at (a foot run: the start of the patrol it is part of; null for a
--   vehicle). presence_visits publishes the runs and presence_daily sums them: the one home of DESIGN section
--   12's rules, with the settings of shr_presence_settings (generated from functions/core/contracts/presence.ts).
-- Definitions ("decision" marks what DESIGN leaves open):
-- - Pings: the version of each (device_id, recorded_at) current as of as_of, recorded on a London day from the
--   day before the window through as_of (the composer reads only those days' partitions: contract readDays).
--   Pings flagged low_accuracy at ingest are left out: they neither count nor end a run.
-- - Inside: a ping is inside a hotspot when its 25 m cell is within tolerance_cells cells, in x and in y, of one
--   of the hotspot's cells. A ping inside two hotspots that lie that close counts for each (decision).
-- - A run: consecutive pings of a device (in time, over all its pings) inside the same hotspot, with no gap over
--   max_gap_ms from one to the next; a ping of the device outside the hotspot, or a longer gap, ends it.
-- - started_at: the first ping's recorded_at; ended_at: the last ping's plus half the run's median ping interval,
--   where a ping's interval is the time since the device's previous ping, counted when at most max_gap_ms
--   (decision: the run's own reporting rate; a run with no such interval, one ping after a gap, ends at it).
-- - Speed of a ping: speed_mps when the device reported it, else the straight-line distance from the device's
--   previous ping over the time between them (decision). A run whose median speed is over walking_pace_mps is a
--   vehicle passing through, counted apart from foot patrol; a run with no speed at all is on foot (decision).
-- - A patrol: foot visits to a hotspot that started the same London day and overlap, or chain one into the
--   next (a visit that starts after every earlier one of the day has ended starts a new patrol). Two officers
--   walking together make one patrol of two visits; its span is the minutes with someone present.
-- - A run belongs to the London day it started on. The day before the window is read so that a visit going on
--   at the window's first midnight starts when it started; runs that started that day are left out.
with presence_window as (
  select
    date_add('day', 1 - s.window_days, p.as_of) as first_day,
    p.as_of as last_day,
    -- the window's bounds as UTC instants (as pings are stored), so that the London day is worked out only for
    -- pings inside a hotspot, not for every ping of the force
    cast(
      with_timezone(cast(date_add('day', -s.window_days, p.as_of) as timestamp), 'Europe/London') at time zone 'UTC'
      as timestamp
    ) as context_start_at,
    cast(
      with_timezone(cast(date_add('day', 1, p.as_of) as timestamp), 'Europe/London') at time zone 'UTC' as timestamp
    ) as window_end_at,
    s.tolerance_cells,
    s.max_gap_ms,
    s.walking_pace_mps
  from params as p
  cross join shr_presence_settings as s
),

pings as (
  select
    g.device_id,
    g.recorded_at,
    g.easting,
    g.northing,
    g.cell_x,
    g.cell_y,
    g.speed_mps
  from stg_patrol_pings as g
  cross join presence_window as w
  where
    g.valid_from <= w.last_day
    and (g.valid_to is null or g.valid_to > w.last_day)
    and not g.low_accuracy
    and g.recorded_at >= w.context_start_at
    and g.recorded_at < w.window_end_at
),

sequenced as (
  select
    device_id,
    recorded_at,
    easting,
    northing,
    cell_x,
    cell_y,
    speed_mps,
    lag(recorded_at) over (partition by device_id order by recorded_at) as previous_at,
    lag(easting) over (partition by device_id order by recorded_at) as previous_easting,
    lag(northing) over (partition by device_id order by recorded_at) as previous_northing
  from pings
),

measured as (
  select
    device_id,
    recorded_at,
    cell_x,
    cell_y,
    previous_at,
    date_diff('millisecond', previous_at, recorded_at) as interval_ms,
    coalesce(
      speed_mps,
      sqrt(power(easting - previous_easting, 2) + power(northing - previous_northing, 2))
      / (date_diff('millisecond', previous_at, recorded_at) / 1000e0)
    ) as speed_mps
  from sequenced
),

tolerance as (
  select t.shift
  from presence_window as w
  cross join unnest(sequence(-w.tolerance_cells, w.tolerance_cells, 1)) as t (shift)
),

-- each hotspot's cells widened by the tolerance: small, from the register, so joining pings to it is one
-- equality join
hotspot_area as (
  select distinct
    c.hotspot_id,
    c.cell_x + dx.shift as cell_x,
    c.cell_y + dy.shift as cell_y
  from shr_hotspot_cells as c
  cross join tolerance as dx
  cross join tolerance as dy
),

inside as (
  select
    a.hotspot_id,
    m.device_id,
    m.recorded_at,
    m.previous_at,
    m.interval_ms,
    m.speed_mps
  from measured as m
  inner join hotspot_area as a
    on m.cell_x = a.cell_x and m.cell_y = a.cell_y
),

-- a ping starts a run unless the device's previous ping is the previous ping inside this hotspot, and came at
-- most max_gap_ms before it
run_starts as (
  select
    i.hotspot_id,
    i.device_id,
    i.recorded_at,
    i.interval_ms,
    i.speed_mps,
    case
      when
        i.previous_at = lag(i.recorded_at) over (partition by i.hotspot_id, i.device_id order by i.recorded_at)
        and i.interval_ms <= w.max_gap_ms
        then 0
      else 1
    end as starts_run,
    w.max_gap_ms
  from inside as i
  cross join presence_window as w
),

numbered as (
  select
    hotspot_id,
    device_id,
    recorded_at,
    interval_ms,
    speed_mps,
    max_gap_ms,
    sum(starts_run) over (
      partition by hotspot_id, device_id order by recorded_at rows between unbounded preceding and current row
    ) as run_number
  from run_starts
),

runs as (
  select
    hotspot_id,
    device_id,
    run_number,
    min(recorded_at) as started_at,
    max(recorded_at) as last_ping_at,
    count(*) as pings,
    -- sorted for exact medians (queries/README.md); their lengths are counted beside them
    array_sort(array_agg(interval_ms) filter (where interval_ms <= max_gap_ms)) as sorted_intervals,
    count_if(interval_ms <= max_gap_ms) as n_intervals,
    array_sort(array_agg(speed_mps) filter (where speed_mps is not null)) as sorted_speeds,
    count(speed_mps) as n_speeds
  from numbered
  group by hotspot_id, device_id, run_number
),

medians as (
  select
    r.hotspot_id,
    r.device_id,
    -- the London day (as staging's recorded_date), of the run's start only
    cast(with_timezone(r.started_at, 'UTC') at time zone 'Europe/London' as date) as visit_date,
    r.started_at,
    r.last_ping_at,
    r.pings,
    case
      when r.n_intervals > 0 then (
        cast(r.sorted_intervals[cast(floor((r.n_intervals + 1) / 2e0) as integer)] as double)
        + r.sorted_intervals[cast(floor(r.n_intervals / 2e0) as integer) + 1]
      ) / 2
    end as median_interval_ms,
    case
      when r.n_speeds > 0 then (
        r.sorted_speeds[cast(floor((r.n_speeds + 1) / 2e0) as integer)]
        + r.sorted_speeds[cast(floor(r.n_speeds / 2e0) as integer) + 1]
      ) / 2
    end as median_speed_mps
  from runs as r
),

-- half the median interval, in whole milliseconds; none without an interval
ends as (
  select
    hotspot_id,
    device_id,
    visit_date,
    started_at,
    last_ping_at,
    pings,
    median_speed_mps,
    coalesce(cast(round(median_interval_ms / 2) as bigint), 0) as half_interval_ms
  from medians
),

timed as (
  select
    m.hotspot_id,
    m.device_id,
    m.visit_date,
    m.started_at,
    -- an interval times a count: date_add takes dates only on DuckDB (compat/duckdb.sql)
    m.last_ping_at + interval '0.001' second * m.half_interval_ms as ended_at,
    m.pings,
    date_diff('millisecond', m.started_at, m.last_ping_at) + m.half_interval_ms as duration_ms,
    m.median_speed_mps,
    coalesce(m.median_speed_mps > w.walking_pace_mps, false) as is_vehicle
  from ends as m
  cross join presence_window as w
  where m.visit_date >= w.first_day
),

-- runs in order of start per hotspot-day, foot and vehicle apart: a run that starts after every earlier one
-- has ended begins a new patrol
ordered as (
  select
    hotspot_id,
    device_id,
    visit_date,
    started_at,
    ended_at,
    pings,
    duration_ms,
    median_speed_mps,
    is_vehicle,
    max(ended_at) over (
      partition by hotspot_id, visit_date, is_vehicle order by started_at, ended_at, device_id
      rows between unbounded preceding and 1 preceding
    ) as earlier_end
  from timed
),

patrols as (
  select
    hotspot_id,
    device_id,
    visit_date,
    started_at,
    ended_at,
    pings,
    duration_ms,
    median_speed_mps,
    is_vehicle,
    sum(case when earlier_end is null or started_at > earlier_end then 1 else 0 end) over (
      partition by hotspot_id, visit_date, is_vehicle order by started_at, ended_at, device_id
      rows between unbounded preceding and current row
    ) as patrol_number
  from ordered
),

final as (
  select
    hotspot_id,
    device_id,
    visit_date,
    started_at,
    ended_at,
    pings,
    duration_ms,
    median_speed_mps,
    is_vehicle,
    case
      when not is_vehicle
        then min(started_at) over (partition by hotspot_id, visit_date, is_vehicle, patrol_number)
    end as patrol_started_at
  from patrols
)

select * from final
