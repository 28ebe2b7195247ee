-- grain: one row per 100 m cell in the top 5% by harm over the 12 months ending on as_of
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   cell_x                               bigint   floor(easting / 100)
--   cell_y                               bigint   floor(northing / 100)
--   easting                              bigint   centre of the cell
--   northing                             bigint   centre of the cell
--   harm                                 double   harm over the 12 months
--   crime_count                          bigint   incidents over the 12 months
--   harm_rank                            bigint   rank by harm (1 = most)
--   months_in_top5                       bigint   of the last 12 local months, how many the cell was in that month's top 5% by harm
--   in_hotspot                           boolean  the cell overlaps a current hotspot
--   weights_version                      varchar  harm weights used
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as bigint) as cell_x,
    cast(null as bigint) as cell_y,
    cast(null as bigint) as easting,
    cast(null as bigint) as northing,
    cast(null as double) as harm,
    cast(null as bigint) as crime_count,
    cast(null as bigint) as harm_rank,
    cast(null as bigint) as months_in_top5,
    cast(null as boolean) as in_hotspot,
    cast(null as varchar) as weights_version
  from params
  where false
)

select * from final
