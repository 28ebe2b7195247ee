-- grain: one row per grid size (25 m and 100 m) over the 12 local calendar months ending with as_of's month (the first day of the month 11 months before as_of's month through as_of)
-- grain key: grid_m
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   grid_m                               integer  cell size in metres
--   period_from                          date     first day of the period (the 1st of the month 11 months before as_of's month)
--   period_to                            date     last day (as_of)
--   weights_version                      varchar  harm weights used
--   cells                                bigint   cells with at least one located incident in the period
--   top1_cells                           bigint   cells in the top 1% (ceil(cells / 100))
--   top5_cells                           bigint   cells in the top 5% (ceil(cells / 20))
--   top1_share_harm                      double   share of harm in the top 1% of cells by harm
--   top5_share_harm                      double   share of harm in the top 5% of cells by harm
--   top1_share_count                     double   share of incidents in the top 1% of cells by count
--   top5_share_count                     double   share of incidents in the top 5% of cells by count
--
-- Definitions (DESIGN section 7, concentration):
-- - Period: whole London calendar months, as data.police.uk publishes them (a month-precision record is dated
--   the 1st): a 365-day window would cut a month in two. The last month runs to as_of.
-- - Incidents: current versions as of as_of, with a location (No Location records cannot be placed in a
--   cell), reported_date in the period. Every incident counts (anti-social behaviour and police-initiated
--   records included, as DESIGN's count); harm is CCHI days of weights_version (0 for those two).
-- - Cells: floor(easting / grid_m), floor(northing / grid_m) on the British National Grid; the denominator is
--   the cells with at least one such incident (not the force area's cells: no boundary is needed).
-- - Top cells: ranked by harm (for the harm shares) and separately by count (for the count shares), most
--   first, ties broken by cell_x then cell_y ascending so the same data always gives the same cells. A cell's
--   harm, and the harm sums behind the shares, are rounded to 6 decimal places (weights have 2): a sum of
--   doubles depends on the order the engine adds them in, and equal harms must tie exactly for the tie rule
--   to hold and reruns to give identical shares.
-- - Shares: sum in the top cells / total; null when the total is 0. Both grids always have a row (cells 0
--   when no incident).
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

period as (
  select
    as_of,
    weights_version,
    date_add('month', -11, cast(date_trunc('month', as_of) as date)) as period_from
  from params
),

incidents as (
  select
    i.easting,
    i.northing,
    i.harm
  from stg_incident_harm as i
  cross join period as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.reported_date between p.period_from and p.as_of
    and i.easting is not null
    and i.northing is not null
),

grids as (
  select 25 as grid_m
  union all
  select 100 as grid_m
),

grid_cells as (
  select
    g.grid_m,
    cast(floor(i.easting / cast(g.grid_m as double)) as bigint) as cell_x,
    cast(floor(i.northing / cast(g.grid_m as double)) as bigint) as cell_y,
    round(sum(i.harm), 6) as harm,
    count(*) as crime_count
  from incidents as i
  cross join grids as g
  group by
    g.grid_m,
    cast(floor(i.easting / cast(g.grid_m as double)) as bigint),
    cast(floor(i.northing / cast(g.grid_m as double)) as bigint)
),

ranked as (
  select
    grid_m,
    harm,
    crime_count,
    row_number() over (partition by grid_m order by harm desc, cell_x asc, cell_y asc) as harm_rank,
    row_number() over (partition by grid_m order by crime_count desc, cell_x asc, cell_y asc) as count_rank,
    count(*) over (partition by grid_m) as cells
  from grid_cells
),

with_cutoffs as (
  select
    *,
    cast(ceil(cast(cells as double) / 100) as bigint) as top1_cells,
    cast(ceil(cast(cells as double) / 20) as bigint) as top5_cells
  from ranked
),

summary as (
  select
    grid_m,
    max(cells) as cells,
    max(top1_cells) as top1_cells,
    max(top5_cells) as top5_cells,
    round(sum(harm), 6) as total_harm,
    sum(crime_count) as total_count,
    round(sum(harm) filter (where harm_rank <= top1_cells), 6) as top1_harm,
    round(sum(harm) filter (where harm_rank <= top5_cells), 6) as top5_harm,
    sum(crime_count) filter (where count_rank <= top1_cells) as top1_count,
    sum(crime_count) filter (where count_rank <= top5_cells) as top5_count
  from with_cutoffs
  group by grid_m
),

final as (
  select
    cast(g.grid_m as integer) as grid_m,
    p.period_from,
    p.as_of as period_to,
    p.weights_version,
    cast(coalesce(s.cells, 0) as bigint) as cells,
    cast(coalesce(s.top1_cells, 0) as bigint) as top1_cells,
    cast(coalesce(s.top5_cells, 0) as bigint) as top5_cells,
    round(case when s.total_harm > 0 then s.top1_harm / s.total_harm end, 6) as top1_share_harm,
    round(case when s.total_harm > 0 then s.top5_harm / s.total_harm end, 6) as top5_share_harm,
    round(case when s.total_count > 0 then cast(s.top1_count as double) / cast(s.total_count as double) end, 6)
      as top1_share_count,
    round(case when s.total_count > 0 then cast(s.top5_count as double) / cast(s.total_count as double) end, 6)
      as top5_share_count
  from grids as g
  cross join period as p
  left join summary as s
    on g.grid_m = s.grid_m
)

select * from final
order by grid_m
