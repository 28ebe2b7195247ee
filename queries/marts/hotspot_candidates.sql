-- grain: one row per 100 m cell in the top 5% by harm over the 12 local calendar months ending with as_of's month (the first day of the month 11 months before as_of's month through as_of)
-- grain key: cell_x, cell_y
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   cell_x                               bigint   floor(easting / 100)
--   cell_y                               bigint   floor(northing / 100)
--   easting                              bigint   centre of the cell (cell_x * 100 + 50)
--   northing                             bigint   centre of the cell (cell_y * 100 + 50)
--   harm                                 double   harm over the 12 months
--   crime_count                          bigint   incidents over the 12 months
--   harm_rank                            bigint   rank by harm (1 = most; ties by cell_x, then cell_y)
--   months_in_top5                       bigint   of the 12 local months, how many the cell was in that month's top 5% by harm
--   in_hotspot                           boolean  the cell overlaps a hotspot whose phases cover as_of
--   weights_version                      varchar  harm weights used
--
-- Definitions (DESIGN section 7, candidate hotspots), with the incidents, cells, period and tie rule of the
-- concentration mart:
-- - Candidates: the 100 m cells ranked 1 .. ceil(cells / 20) by harm over the period, where cells = the 100 m
--   cells with at least one located incident in the period; a cell with no harm (only anti-social behaviour
--   or police-initiated records) is never a candidate, even when it falls in that range.
-- - months_in_top5: for each of the 12 months (the last one runs to as_of), the same ranking over that month's
--   incidents alone (cells with an incident that month; top ceil(cells / 20), harm > 0); the number of
--   months the cell was in it (0 .. 12).
-- - in_hotspot: one of the cell's sixteen 25 m cells (cell_x * 4 .. cell_x * 4 + 3, likewise y) is a hotspot
--   cell (area_cells, role hotspot, register version) of an area whose phases cover as_of (area_cells
--   valid_from <= as_of and valid_to, its last phase's last day, null or >= as_of): the cell is already
--   being policed. Controls and buffers do not count.
-- - Harm per cell (year and month) is rounded to 6 decimal places before ranking, as in concentration.
-- - Rows in harm_rank order.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

period as (
  select
    as_of,
    weights_version,
    register_version,
    date_add('month', -11, cast(date_trunc('month', as_of) as date)) as period_from
  from params
),

incidents as (
  select
    cast(date_trunc('month', i.reported_date) as date) as month_start,
    cast(floor(i.easting / 100e0) as bigint) as cell_x,
    cast(floor(i.northing / 100e0) as bigint) as cell_y,
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

-- one aggregate per month and cell, ranked within its month, then summed to the year: incidents are read once
-- (a second aggregate over them would read the feed again on Athena)
month_cells as (
  select
    month_start,
    cell_x,
    cell_y,
    sum(harm) as month_harm,
    count(*) as crime_count
  from incidents
  group by month_start, cell_x, cell_y
),

month_ranked as (
  select
    *,
    row_number() over (
      partition by month_start order by round(month_harm, 6) desc, cell_x asc, cell_y asc
    ) as month_rank,
    cast(ceil(cast(count(*) over (partition by month_start) as double) / 20) as bigint) as month_top5_cells
  from month_cells
),

year_cells as (
  select
    cell_x,
    cell_y,
    round(sum(month_harm), 6) as harm,
    sum(crime_count) as crime_count,
    count_if(month_rank <= month_top5_cells and round(month_harm, 6) > 0) as months_in_top5
  from month_ranked
  group by cell_x, cell_y
),

year_ranked as (
  select
    *,
    row_number() over (order by harm desc, cell_x asc, cell_y asc) as harm_rank,
    cast(ceil(cast(count(*) over () as double) / 20) as bigint) as top5_cells
  from year_cells
),

current_hotspot_cells as (
  select distinct
    cast(floor(c.cell_x / 4e0) as bigint) as cell_x,
    cast(floor(c.cell_y / 4e0) as bigint) as cell_y
  from area_cells as c
  cross join period as p
  where
    c.register_version = p.register_version
    and c.role = 'hotspot'
    and (c.valid_from is null or c.valid_from <= p.as_of)
    and (c.valid_to is null or c.valid_to >= p.as_of)
),

final as (
  select
    y.cell_x,
    y.cell_y,
    y.cell_x * 100 + 50 as easting,
    y.cell_y * 100 + 50 as northing,
    y.harm,
    cast(y.crime_count as bigint) as crime_count,
    y.harm_rank,
    y.months_in_top5,
    h.cell_x is not null as in_hotspot,
    p.weights_version
  from year_ranked as y
  cross join period as p
  left join current_hotspot_cells as h
    on y.cell_x = h.cell_x
    and y.cell_y = h.cell_y
  where y.harm_rank <= y.top5_cells and y.harm > 0
)

select * from final
order by harm_rank
