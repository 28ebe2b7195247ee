-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of an incident (key: incident_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of incidents_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; a row without a natural key
--     (key_derived) is current only while its drop is the latest of its drop date (by ingested_at, then drop_id),
--     and else ends the day it began
--   reported_date, reported_hour: the London calendar day and hour of reported_at
--   occurred_date, occurred_hour: the London calendar day and hour of occurred_at
--   cell_x, cell_y: the 25 m British National Grid cell (as area_cells)
--   serious_violence: DESIGN section 7 (violence with injury, or the whole category without a subcategory; robbery;
--     possession of weapons; any knife or firearm flag)
with final as (
  select
    incident_id,
    reported_at,
    occurred_at,
    period_precision,
    crime_type,
    offence_code,
    subcategory,
    lsoa_code,
    lsoa_name,
    outcome,
    weapon_flag,
    domestic,
    police_initiated,
    status,
    location_description,
    reported_by,
    falls_within,
    context,
    lat,
    lon,
    easting,
    northing,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    case
      when
        key_derived
        and drop_id <> first_value(drop_id) over (partition by drop_date order by ingested_at desc, drop_id desc)
        then drop_date
      else lead(drop_date) over (partition by incident_id order by drop_date, ingested_at, drop_id, source_line)
    end as valid_to,
    cast(with_timezone(reported_at, 'UTC') at time zone 'Europe/London' as date) as reported_date,
    hour(with_timezone(reported_at, 'UTC') at time zone 'Europe/London') as reported_hour,
    cast(with_timezone(occurred_at, 'UTC') at time zone 'Europe/London' as date) as occurred_date,
    hour(with_timezone(occurred_at, 'UTC') at time zone 'Europe/London') as occurred_hour,
    cast(floor(easting / 25e0) as integer) as cell_x,
    cast(floor(northing / 25e0) as integer) as cell_y,
    (
      crime_type in ('Robbery', 'Possession of weapons')
      or coalesce(weapon_flag, 'none') in ('knife', 'firearm')
      or (
        crime_type = 'Violence and sexual offences'
        and (subcategory is null or lower(subcategory) like '%with injury%')
      )
    ) as serious_violence
  from incidents_versions
)

select * from final
