import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The one logger of every function. Its service name is `stagegate`, set
 * here, which takes precedence over POWERTOOLS_SERVICE_NAME.
 */
export const logger = new Logger({ serviceName: 'stagegate' });

/**
 * Starts one invocation's log context. The logger outlives invocations (a
 * Lambda instance serves them one after another, and the local runtime runs
 * every function in one process), so the keys an earlier invocation
 * appended are dropped before this one's Lambda context and `keys` are
 * added: no line carries another request's ids or principal. The API
 * handler, the authorizer, the workflow and the cleanup and registration
 * jobs call it first; the registration watchdog does not, so locally its
 * summary line can carry the keys of the invocation before it.
 */
export function startInvocation(
  context: Context | undefined,
  keys: Record<string, unknown> = {}
): void {
  logger.resetKeys();
  if (context) logger.addContext(context);
  logger.appendKeys(keys);
}
