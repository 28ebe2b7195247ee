-- generated from functions/core/contracts/presence.ts by npm run generate:sql; do not edit
-- grain: one row: the settings of patrol presence from GPS pings (DESIGN section 12)
-- parameters: none
--   window_days: the days ending on as_of whose presence a run computes (pings dropped up to
--     window_days - 1 days late count)
--   tolerance_cells: a ping within this many 25 m cells of a hotspot cell (in x and y) is inside it
--   max_gap_ms: a longer gap between consecutive pings of a device ends its visit
--   walking_pace_mps: a run with a median speed over this is a vehicle pass-through
select
  3 as window_days,
  1 as tolerance_cells,
  300000 as max_gap_ms,
  3e0 as walking_pace_mps
