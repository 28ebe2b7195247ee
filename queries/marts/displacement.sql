-- grain: one row per hotspot whose clear phase has a complete 12-week after window (clear_from + 83 days on or before as_of), plus one row for all of them (hotspot_id all)
-- grain key: hotspot_id
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot, or all
--   clear_from                           date     first day of its clear phase (null for all)
--   before_from                          date     first day of the 12 weeks (84 days) before clear_from (for all: the earliest)
--   after_to                             date     last day of the after window, clear_from + 83 days (for all: the latest)
--   rb                                   bigint   incidents in the hotspot, before
--   ra                                   bigint   incidents in the hotspot, after
--   db                                   bigint   incidents in its buffer ring (cells of no hotspot), before
--   da                                   bigint   incidents in its buffer ring, after
--   cb                                   bigint   incidents in the control areas, before (for all: counted once)
--   ca                                   bigint   incidents in the control areas, after (for all: counted once)
--   wdq                                  double   weighted displacement quotient (Da/Ca - Db/Cb) / (Ra/Ca - Rb/Cb); null when not applicable
--   tne                                  double   total net effect [Rb(Ca/Cb) - Ra] + [Db(Ca/Cb) - Da]; null when Cb = 0
--   wdd                                  double   weighted displacement difference (Ra - Rb) - (Ca - Cb)
--   wdd_se                               double   sqrt(Ra + Rb + Ca + Cb)
--
-- Definitions (DESIGN section 7, displacement; Bowers and Johnson's WDQ):
-- - Hotspots: the register version's areas of role hotspot with a clear phase (clear_from not null) whose
--   after window is complete by as_of. A hotspot still inside its first 12 weeks of clear has no row (a part
--   window would compare 12 weeks with fewer).
-- - Windows, London local days: b = clear_from - 84 .. clear_from - 1; a = clear_from .. clear_from + 83.
-- - Areas (area_cells of the register version, 25 m cells): R = the hotspot's own cells; D = its buffer cells
--   that are not a hotspot cell of any area (a buffer reaching into another hotspot would count that
--   hotspot's treated crime as displacement); C = the cells of every control area, pooled (each cell once),
--   counted over the hotspot's own windows. Cells are taken from the register whatever its phases' dates:
--   the before window precedes the area's validity by design.
-- - Counted: incidents (current versions as of as_of, located, reported_date in the window), anti-social
--   behaviour included (DESIGN's count, and a usual target of hotspot patrols), police-initiated records
--   excluded (they measure police activity, which the intervention itself moves into R).
-- - WDQ only when Ca > 0, Cb > 0 and Ra/Ca - Rb/Cb < 0 (the hotspot fell relative to control), else null
--   ('not applicable'). TNE needs Cb > 0. WDD and its SE always.
-- - The all row (the programme) counts each incident at most once per side: R and D are the hotspots' and
--   buffer rings' incidents, each in its own hotspot's windows, so they are the sums over hotspots unless two
--   hotspots share a cell: an incident in a buffer cell that two rings share (hotspots closer than twice their
--   buffer_m) is in both hotspots' rows and counted once here, as one in two overlapping hotspots. C is the control
--   areas' own count, once (never once per hotspot): b = control incidents on a day of any hotspot's before
--   window, a = on a day of any after window. When every hotspot clears on the same day these are the control
--   areas' counts over the common 12 weeks before and after; when clear dates differ, a day after one
--   hotspot's start and before another's counts on both sides, as it does in those hotspots' rows. The same
--   formulas then apply. The row is there only when at least one hotspot is. Rows: hotspots by id, then all.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

windows as (
  select
    h.area_id as hotspot_id,
    h.clear_from,
    date_add('day', -84, h.clear_from) as before_from,
    date_add('day', 83, h.clear_from) as after_to
  from hotspots as h
  cross join params as p
  where
    h.register_version = p.register_version
    and h.role = 'hotspot'
    and h.clear_from is not null
    and date_add('day', 83, h.clear_from) <= p.as_of
),

register_cells as (
  select distinct
    c.area_id,
    c.role,
    c.cell_x,
    c.cell_y
  from area_cells as c
  cross join params as p
  where c.register_version = p.register_version
),

any_hotspot_cells as (
  select distinct cell_x, cell_y from shr_hotspot_cells
),

control_cells as (
  select distinct cell_x, cell_y from register_cells where role = 'control'
),

-- every cell an incident can count in, per hotspot with a window: its own cells (r), its buffer ring (d) and the
-- pooled control cells (c, the same cells under each hotspot): reference data only, so incidents are read once
cell_parts as (
  select
    hotspot_id,
    'r' as area_part,
    cell_x,
    cell_y
  from shr_hotspot_cells
  union all
  select
    b.area_id as hotspot_id,
    'd' as area_part,
    b.cell_x,
    b.cell_y
  from register_cells as b
  left join any_hotspot_cells as h
    on b.cell_x = h.cell_x
    and b.cell_y = h.cell_y
  where b.role = 'buffer' and h.cell_x is null
  union all
  select
    w.hotspot_id,
    'c' as area_part,
    c.cell_x,
    c.cell_y
  from windows as w
  cross join control_cells as c
),

incidents as (
  select
    i.incident_id,
    i.reported_date,
    i.cell_x,
    i.cell_y
  from stg_incident_harm as i
  cross join params as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.reported_date <= p.as_of
    and i.cell_x is not null
    and i.cell_y is not null
    and not coalesce(i.police_initiated, false)
),

-- incidents are matched to cells before windows: a range join of every incident with every window comes first
-- otherwise, which is millions of pairs for a few thousand incidents in the areas
matched as (
  select
    z.hotspot_id,
    z.area_part,
    i.incident_id,
    i.reported_date
  from incidents as i
  inner join cell_parts as z
    on i.cell_x = z.cell_x
    and i.cell_y = z.cell_y
),

-- each match inside its hotspot's windows, with its side: b (before clear_from) or a
sided as (
  select
    m.hotspot_id,
    m.area_part,
    m.incident_id,
    case when m.reported_date < w.clear_from then 'b' else 'a' end as side
  from matched as m
  inner join windows as w
    on m.hotspot_id = w.hotspot_id
    and m.reported_date between w.before_from and w.after_to
),

-- the hotspot rows and the all row in one pass (a second reference would read incidents again on Athena); a
-- hotspot id is never null, so null is the all row's.
-- Distinct incidents: within a hotspot each incident matches one cell of a part, so this is a plain count;
-- across hotspots it counts a control incident, or one in a buffer cell two hotspots share, once per side
zone_counts as (
  select
    coalesce(s.hotspot_id, 'all') as hotspot_id,
    count(distinct case when s.area_part = 'r' and s.side = 'b' then s.incident_id end) as rb,
    count(distinct case when s.area_part = 'r' and s.side = 'a' then s.incident_id end) as ra,
    count(distinct case when s.area_part = 'd' and s.side = 'b' then s.incident_id end) as db,
    count(distinct case when s.area_part = 'd' and s.side = 'a' then s.incident_id end) as da,
    count(distinct case when s.area_part = 'c' and s.side = 'b' then s.incident_id end) as cb,
    count(distinct case when s.area_part = 'c' and s.side = 'a' then s.incident_id end) as ca
  from sided as s
  group by grouping sets ((s.hotspot_id), ())
),

-- a row per hotspot with a window, and the all row only when there is one
report_rows as (
  select
    hotspot_id,
    clear_from,
    before_from,
    after_to
  from windows
  union all
  select
    'all' as hotspot_id,
    cast(null as date) as clear_from,
    min(before_from) as before_from,
    max(after_to) as after_to
  from windows
  having count(*) > 0
),

with_counts as (
  select
    r.hotspot_id,
    r.clear_from,
    r.before_from,
    r.after_to,
    coalesce(z.rb, 0) as rb,
    coalesce(z.ra, 0) as ra,
    coalesce(z.db, 0) as db,
    coalesce(z.da, 0) as da,
    coalesce(z.cb, 0) as cb,
    coalesce(z.ca, 0) as ca
  from report_rows as r
  left join zone_counts as z
    on r.hotspot_id = z.hotspot_id
),

as_doubles as (
  select
    *,
    cast(rb as double) as rb_d,
    cast(ra as double) as ra_d,
    cast(db as double) as db_d,
    cast(da as double) as da_d,
    cast(cb as double) as cb_d,
    cast(ca as double) as ca_d
  from with_counts
),

final as (
  select
    hotspot_id,
    clear_from,
    before_from,
    after_to,
    cast(rb as bigint) as rb,
    cast(ra as bigint) as ra,
    cast(db as bigint) as db,
    cast(da as bigint) as da,
    cast(cb as bigint) as cb,
    cast(ca as bigint) as ca,
    round(
      case
        when ca > 0 and cb > 0 and ra_d / ca_d - rb_d / cb_d < 0
          then (da_d / ca_d - db_d / cb_d) / (ra_d / ca_d - rb_d / cb_d)
      end,
      6
    ) as wdq,
    round(case when cb > 0 then (rb_d * (ca_d / cb_d) - ra_d) + (db_d * (ca_d / cb_d) - da_d) end, 6) as tne,
    round((ra_d - rb_d) - (ca_d - cb_d), 6) as wdd,
    round(sqrt(ra_d + rb_d + ca_d + cb_d), 6) as wdd_se
  from as_doubles
)

select * from final
order by case when hotspot_id = 'all' then 1 else 0 end, hotspot_id
