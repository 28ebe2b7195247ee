-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a GPS ping (device and instant) (key: device_id, recorded_at)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of patrol_pings_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
--   recorded_date, recorded_hour: the London calendar day and hour of recorded_at
--   cell_x, cell_y: the 25 m British National Grid cell (as area_cells)
with final as (
  select
    device_id,
    recorded_at,
    accuracy_m,
    speed_mps,
    heading,
    team,
    shift_id,
    lat,
    lon,
    easting,
    northing,
    low_accuracy,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    case
      when
        lead(recorded_at) over (
          partition by device_id order by recorded_at, drop_date, ingested_at, drop_id, source_line
        ) = recorded_at
        then lead(drop_date) over (
          partition by device_id order by recorded_at, drop_date, ingested_at, drop_id, source_line
        )
    end as valid_to,
    cast(with_timezone(recorded_at, 'UTC') at time zone 'Europe/London' as date) as recorded_date,
    hour(with_timezone(recorded_at, 'UTC') at time zone 'Europe/London') as recorded_hour,
    cast(floor(easting / 25e0) as integer) as cell_x,
    cast(floor(northing / 25e0) as integer) as cell_y
  from patrol_pings_versions
)

select * from final
