import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { terminalLine } from './log-format.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metric-names.ts';

const SERVICE_NAME = METRICS_SERVICE;

/**
 * Powertools' logger, printing either its JSON entries (Lambda, pipes,
 * files) or the same entries as readable lines (`terminalLine`).
 */
class StagegateLogger extends Logger {
  readonly #terminal: boolean;

  constructor(options: ConstructorOptions & { terminal: boolean }) {
    const { terminal, ...loggerOptions } = options;
    super(loggerOptions);
    this.#terminal = terminal;
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.#terminal) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    const attributes = log.getAttributes();
    const stream =
      attributes.level === 'ERROR' ||
      attributes.level === 'CRITICAL' ||
      attributes.level === 'WARN'
        ? process.stderr
        : process.stdout;
    stream.write(`${terminalLine(attributes)}\n`);
  }
}

/**
 * `STAGEGATE_LOG_FORMAT`: `json` (Powertools' entries) or `terminal`.
 * @default `terminal` when stdout is a terminal, else `json`, so a person
 *   at `npm start` reads lines and anything reading the output gets JSON
 */
function terminalFormat(): boolean {
  const format = process.env.STAGEGATE_LOG_FORMAT;
  if (format === 'terminal') return true;
  if (format === 'json') return false;
  return process.stdout.isTTY === true;
}

/**
 * The one logger of every function. Level from `POWERTOOLS_LOG_LEVEL`
 * (default INFO: one access entry per request, see `api-handler.ts`).
 */
export const logger = new StagegateLogger({
  serviceName: SERVICE_NAME,
  terminal: terminalFormat(),
});

/**
 * The one tracer: X-Ray on Lambda, where the functions run with active
 * tracing; disabled elsewhere (it detects the Lambda environment), and by
 * `POWERTOOLS_TRACE_ENABLED=false`.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * The deployment a function belongs to (`STAGEGATE_STAGE`, set by the CDK
 * app): every metric carries it as the `stage` dimension, so two stages in
 * one account keep their own metrics and alarms.
 */
const stage = process.env.STAGEGATE_STAGE;

/**
 * The one metrics buffer, flushed once per invocation as CloudWatch EMF
 * (namespace `stagegate`, dimensions `service` and `stage`).
 * `POWERTOOLS_METRICS_DISABLED=true` keeps it from printing (the local
 * stack sets it).
 */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  logger,
  ...(stage ? { defaultDimensions: { stage } } : {}),
});

/**
 * Starts one invocation's log context; every entry point calls it first.
 * The logger outlives invocations (a Lambda instance serves them one after
 * another, and the local runtime runs every function in one process), so
 * the keys an earlier invocation appended are dropped before this one's
 * Lambda context and `keys` are added: no line carries another request's
 * ids or principal. Where invocations run concurrently in one process (the
 * local runtime, Lambda's multi-concurrency), Powertools keeps these keys
 * per invocation in the runtime's InvokeStore.
 */
export function startInvocation(
  context: Context | undefined,
  keys: Record<string, unknown> = {}
): void {
  logger.resetKeys();
  if (context) logger.addContext(context);
  logger.appendKeys(keys);
}
