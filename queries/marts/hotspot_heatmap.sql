-- grain: one row per hotspot per 25 m cell within 150 m of the hotspot's own cells (a 6-cell margin), over the 28 local days ending on as_of: harm and count for the weekly heat map
-- grain key: hotspot_id, cell_x, cell_y
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id       varchar  the hotspot the map is drawn around
--   cell_x           bigint   25 m cell: floor(easting / 25)
--   cell_y           bigint   25 m cell: floor(northing / 25)
--   in_hotspot       boolean  the cell is one of the hotspot's own cells (for the outline)
--   harm             double   harm over the 28 days ending on as_of
--   crime_count      bigint   incidents over those days
--   weights_version  varchar  harm weights used
--
-- Definitions (DESIGN section 7; where it is silent, the choices are marked "decision"):
-- - Hotspots: the areas of role hotspot in `hotspots` for register_version; their own cells are the
--   `area_cells` rows of role hotspot for that register version (as scorecard_weekly: whatever the phase dates).
-- - The map around a hotspot (decision): every cell in the bounding box of its own cells widened by 6 cells
--   (150 m) on each side, so the map is a rectangle; this holds every cell within 150 m (6 cells, along x or
--   y) of one of its cells, and for a hotspot that is not a rectangle, also some cells a little further away
--   in the corners. A cell near two hotspots appears once for each.
-- - Rows (decision): only the cells with an incident in the 28 days (harm or count > 0), and every own cell
--   of the hotspot even when empty (harm 0, count 0) so the outline can be drawn. An absent cell is a zero.
-- - Records: incident versions current as of as_of (valid_from <= as_of and (valid_to is null or valid_to
--   > as_of)) with a location, reported (London reported_date) in the 28 local days as_of - 27 .. as_of.
--   As scorecard_weekly: anti-social behaviour and police-initiated records are counted (harm 0), records
--   of period_precision month are left out (decision: a monthly data.police.uk record cannot be placed in
--   these days). So when as_of is a Sunday, a hotspot's own cells add up to its scorecard_weekly count_28d and
--   harm_28d for the week ending that day.
-- - harm = sum of CCHI days (stg_incident_harm, weights_version), rounded to 6 decimals so reruns give
--   identical values whatever the summation order.
-- - Order: hotspot_id, cell_x, cell_y.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

map_bounds as (
  select
    hotspot_id,
    min(cell_x) - 6 as min_x,
    max(cell_x) + 6 as max_x,
    min(cell_y) - 6 as min_y,
    max(cell_y) + 6 as max_y
  from shr_hotspot_cells
  group by hotspot_id
),

current_incidents as (
  select
    i.cell_x,
    i.cell_y,
    i.harm
  from stg_incident_harm as i
  cross join params as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.reported_date between date_add('day', -27, p.as_of) and p.as_of
    and coalesce(i.period_precision, 'exact') <> 'month'
    and i.cell_x is not null
    and i.cell_y is not null
),

cell_totals as (
  select
    cell_x,
    cell_y,
    round(sum(harm), 6) as harm,
    count(*) as crime_count
  from current_incidents
  group by cell_x, cell_y
),

-- the cells with incidents inside each hotspot's map, carrying their totals: cell_totals is referenced only
-- here, because Trino re-evaluates a CTE at each reference (a second join back to it would scan the incidents
-- again)
map_totals as (
  select
    b.hotspot_id,
    t.cell_x,
    t.cell_y,
    t.harm,
    t.crime_count
  from cell_totals as t
  inner join map_bounds as b
    on t.cell_x between b.min_x and b.max_x
    and t.cell_y between b.min_y and b.max_y
),

-- plus every own cell of the hotspot, empty or not: an own cell lies inside its hotspot's map, so one with
-- incidents is matched in map_totals and one without comes from shr_hotspot_cells alone
final as (
  select
    coalesce(m.hotspot_id, h.hotspot_id) as hotspot_id,
    cast(coalesce(m.cell_x, h.cell_x) as bigint) as cell_x,
    cast(coalesce(m.cell_y, h.cell_y) as bigint) as cell_y,
    h.hotspot_id is not null as in_hotspot,
    round(cast(coalesce(m.harm, 0e0) as double), 6) as harm,
    cast(coalesce(m.crime_count, 0) as bigint) as crime_count,
    p.weights_version
  from map_totals as m
  full outer join shr_hotspot_cells as h
    on m.hotspot_id = h.hotspot_id
    and m.cell_x = h.cell_x
    and m.cell_y = h.cell_y
  cross join params as p
)

select * from final order by hotspot_id, cell_x, cell_y
