-- grain: one row per hotspot per 25 m cell within 150 m of the hotspot's own cells (a 6-cell margin), over the 28 local days ending on as_of: harm and count for the weekly heat map
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id       varchar  the hotspot the map is drawn around
--   cell_x           bigint   25 m cell: floor(easting / 25)
--   cell_y           bigint   25 m cell: floor(northing / 25)
--   in_hotspot       boolean  the cell is one of the hotspot's own cells (for the outline)
--   harm             double   harm over the 28 days ending on as_of
--   crime_count      bigint   incidents over those days
--   weights_version  varchar  harm weights used
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as hotspot_id,
    cast(null as bigint) as cell_x,
    cast(null as bigint) as cell_y,
    cast(null as boolean) as in_hotspot,
    cast(null as double) as harm,
    cast(null as bigint) as crime_count,
    cast(null as varchar) as weights_version
  from params
  where false
)

select * from final
