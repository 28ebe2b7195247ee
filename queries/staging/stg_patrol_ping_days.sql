-- grain: one row per drop date of patrol_pings: the London days whose pings were sent (a day's drop holds the
--   pings recorded up to the end of that day: DESIGN section 12, README "Patrol pings")
-- parameters: none. Read by window like the pings (contract readDays): only the partitions of the presence
--   window's days and the day before are listed, and only the partition column is read (no bytes of the files)
-- columns: ping_date (date). presence_daily measures a day only when it has its drop: a day without pings (a
--   feed outage, a force that sends none) is not measured, rather than measured as a day of no presence
with final as (
  select distinct dt as ping_date
  from patrol_pings_versions
)

select * from final
