import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaRegistrationQueue } from '#adapters/lambda/registration-queue.ts';
import { getStringFromEnv } from '../config.ts';
import { needEnvironment } from '../needs.ts';
import { tracer } from '../powertools.ts';

/**
 * The queue of asynchronous registrations: the registration function
 * invoked with `InvocationType: Event`, through the function's one Lambda
 * client, traced (`AWS_ENDPOINT_URL_LAMBDA` locally).
 * @throws Error when `REGISTRATION_FUNCTION_NAME` is not set.
 */
export function registrationQueueFromEnv(): LambdaRegistrationQueue {
  return new LambdaRegistrationQueue({
    client: tracer.captureAWSv3Client(new LambdaClient({})),
    functionName: getStringFromEnv(needEnvironment.registrations),
  });
}
