import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { metrics, startInvocation, tracer } from './powertools.ts';

/** A business or request metric (namespace `stagegate`). */
export interface MetricRecord {
  readonly name: string;
  /** @default MetricUnit.Count */
  readonly unit?: (typeof MetricUnit)[keyof typeof MetricUnit];
  /** @default 1 */
  readonly value?: number;
  /** Published as its own EMF entry with these dimensions. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * Records a metric of this invocation: one with dimensions at once, the
 * others together when it ends. Nothing is printed where metrics are
 * disabled (`POWERTOOLS_METRICS_DISABLED=true`, as the local stack sets).
 */
export function recordMetric(metric: MetricRecord): void {
  const unit = metric.unit ?? MetricUnit.Count;
  const value = metric.value ?? 1;
  if (metric.dimensions) {
    const single = metrics.singleMetric();
    for (const [name, dimension] of Object.entries(metric.dimensions)) {
      single.addDimension(name, dimension);
    }
    single.addMetric(metric.name, unit, value);
    return;
  }
  metrics.addMetric(metric.name, unit, value);
}

/**
 * What every function attaches once, outermost: the X-Ray handler segment
 * (without the response as metadata: responses carry token values and
 * presigned URLs), the invocation's own log context with `keys` taken from
 * its event, and one flush of its metrics however it ends.
 */
export function observedInvocation<E, R>(
  keys: (event: E) => Record<string, unknown> = () => ({})
): MiddlewareObj<E, R, Error, Context>[] {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return [
    captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj<
      E,
      R,
      Error,
      Context
    >,
    {
      before: (request) =>
        startInvocation(request.context, keys(request.event)),
      after: flush,
      onError: flush,
    },
  ];
}

/**
 * A non-HTTP function (authorizer, workflow step, job) with
 * `observedInvocation` attached.
 */
export function observedHandler<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  keys?: (event: E) => Record<string, unknown>
) {
  return middy<E, R, Error, Context>()
    .use(observedInvocation<E, R>(keys))
    .handler(handler);
}
