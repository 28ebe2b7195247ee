-- grain: one row: Koper's compliant patrol visit length, 10 to 16 minutes inclusive (DESIGN 7), which the marts
--   compare in milliseconds (min_minutes * 60000 to max_minutes * 60000)
-- parameters: none
select
  10 as min_minutes,
  16 as max_minutes
