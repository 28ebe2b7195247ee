/**
 * EventBridge Scheduler schedules in Europe/London (DESIGN 9): the times are wall-clock times in London, so
 * 07:00 is 07:00 in winter and in summer. None falls between 01:00 and 02:59, where the clocks change (a time
 * that does not exist, or exists twice). No flexible time window: a run starts at its minute.
 *
 * Two layers of retry and dead letters, because the scheduler invokes Lambda asynchronously:
 * - the schedule's retry policy and dead-letter queue cover the delivery (Lambda throttled, unavailable or the
 *   invoke refused);
 * - the function's own asynchronous retries and its dead-letter queue (set on the function) cover the run
 *   itself failing.
 */
import { Aws, Duration, Stack, TimeZone } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as targets from 'aws-cdk-lib/aws-scheduler-targets'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import type { HotspotFunction } from './lambda.ts'
import { acknowledgeWildcardResource } from './nag.ts'

export const SCHEDULE_TIME_ZONE = TimeZone.EUROPE_LONDON
export const SCHEDULE_RETRY_ATTEMPTS = 5
export const SCHEDULE_MAX_EVENT_AGE = Duration.hours(2)

export const NIGHTLY_MARTS = 'cron(30 3 * * ? *)'
export const WEEKLY_SCORECARD = 'cron(0 7 ? * MON *)'
export const MONTHLY_REPORT = 'cron(0 7 1 * ? *)'

export interface ScheduledInvokeProps {
  readonly function: HotspotFunction
  /** `cron(...)` in Europe/London. */
  readonly expression: string
  readonly description: string
  /** The event, whose `scheduled_time` is the scheduler's own `<aws.scheduler.scheduled-time>`. */
  readonly input: Record<string, string>
  readonly deadLetterQueue: sqs.IQueue
}

export function scheduledInvoke(
  scope: Construct,
  id: string,
  props: ScheduledInvokeProps,
): scheduler.Schedule {
  const stack = Stack.of(scope)
  // one role per schedule: it may invoke this function and send to this schedule's DLQ, nothing else
  const role = new iam.Role(scope, `${id}ScheduleRole`, {
    description: `EventBridge Scheduler: ${props.description}`,
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        // the schedules of the default group (AWS's documented trust condition for Scheduler roles)
        ArnEquals: {
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      },
    }),
  })
  const schedule = new scheduler.Schedule(scope, id, {
    description: props.description,
    schedule: scheduler.ScheduleExpression.expression(props.expression, SCHEDULE_TIME_ZONE),
    timeWindow: scheduler.TimeWindow.off(),
    target: new targets.LambdaInvoke(props.function.fn, {
      input: scheduler.ScheduleTargetInput.fromObject({
        ...props.input,
        scheduled_time: scheduler.ContextAttribute.scheduledTime,
      }),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
      role,
    }),
  })
  acknowledgeWildcardResource(
    role.node.findChild('DefaultPolicy'),
    `${props.function.fn.functionArn}:*`,
    'lambda:InvokeFunction on this one function and its qualified ARNs (<function ARN>:<version or alias>), as ' +
      'the scheduler target grants it; no other function.',
  )
  return schedule
}
