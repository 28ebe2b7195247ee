import type { Metrics } from '@aws-lambda-powertools/metrics'
import { MetricUnit } from '@aws-lambda-powertools/metrics'

/**
 * Adds counts that share one dimension value (a feed, a mart, an outcome) to the function's metrics. An EMF
 * record gives all its metrics the same dimension values, so the group added before, if any, is published
 * first; logMetrics publishes the last one when the invocation ends.
 */
export function addMetricGroup(
  metrics: Metrics,
  dimension: { name: string; value: string },
  counts: Record<string, number>,
): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics()
  metrics.addDimension(dimension.name, dimension.value)
  for (const [name, count] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, count)
}
