-- grain: one row per grid size (25 m and 100 m) over the 12 months (365 local days) ending on as_of
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   grid_m                               integer  cell size in metres
--   period_from                          date     first day of the period
--   period_to                            date     last day (as_of)
--   weights_version                      varchar  harm weights used
--   cells                                bigint   cells with at least one located incident in the period
--   top1_cells                           bigint   cells in the top 1% (ceil(cells / 100))
--   top5_cells                           bigint   cells in the top 5% (ceil(cells / 20))
--   top1_share_harm                      double   share of harm in the top 1% of cells by harm
--   top5_share_harm                      double   share of harm in the top 5% of cells by harm
--   top1_share_count                     double   share of incidents in the top 1% of cells by count
--   top5_share_count                     double   share of incidents in the top 5% of cells by count
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as integer) as grid_m,
    cast(null as date) as period_from,
    cast(null as date) as period_to,
    cast(null as varchar) as weights_version,
    cast(null as bigint) as cells,
    cast(null as bigint) as top1_cells,
    cast(null as bigint) as top5_cells,
    cast(null as double) as top1_share_harm,
    cast(null as double) as top5_share_harm,
    cast(null as double) as top1_share_count,
    cast(null as double) as top5_share_count
  from params
  where false
)

select * from final
