-- grain: one row per run of a device's GPS pings inside a hotspot (a foot visit, or a vehicle passing through) that started on a London day of the presence window (the window_days days ending on as_of)
-- grain key: hotspot_id, device_id, started_at
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id        varchar    the hotspot (role hotspot in register_version)
--   device_id         varchar    the device, as pseudonymised at ingest
--   visit_date        date       the London day the run started on
--   started_at        timestamp  its first ping
--   ended_at          timestamp  its last ping plus half its median ping interval
--   minutes           double     ended_at - started_at, in minutes
--   pings             bigint     the pings of the run
--   median_speed_mps  double     the median speed of its pings; null when none has a speed
--   kind              varchar    foot, or vehicle (a median speed over walking pace: a pass-through)
--   patrol_started_at timestamp  foot: the start of the patrol it is part of (the foot visits of the day that overlap or chain); null for a vehicle
--
-- Definitions: DESIGN section 12, stated once in queries/shared/shr_presence_runs.sql (runs, tolerance, gaps,
-- end of a visit, speed), with the settings of shr_presence_settings. Each night's run computes the window's
-- days again, so a day's rows are final once it has left the window: for the visits of a past day, read the
-- run of the last as-of date whose window holds it.
-- - params is read by shr_presence_runs, which the composer puts after it: the lint's noqa ST03 (unused CTE).
with params as (  -- noqa: ST03
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    r.hotspot_id,
    r.device_id,
    r.visit_date,
    r.started_at,
    r.ended_at,
    round(r.duration_ms / 60000e0, 6) as minutes,
    r.pings,
    round(r.median_speed_mps, 6) as median_speed_mps,
    case when r.is_vehicle then 'vehicle' else 'foot' end as kind,
    r.patrol_started_at
  from shr_presence_runs as r
)

select * from final
order by hotspot_id, device_id, started_at
