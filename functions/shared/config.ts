/**
 * The variables a function reads: the process's own on Lambda and in the
 * local runtime; the CDK app passes a stage's planned environment to the
 * same readers to check it before anything is deployed.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads a required setting from the environment once, at a function's cold
 * start (`handlerFromEnv` and the roots' `wire`).
 * @throws Error naming the missing variable, so a misconfigured function
 *   fails at cold start instead of on some later request.
 */
export function getStringFromEnv(
  name: string,
  env: Environment = process.env
): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set.`);
  }
  return value;
}

export function getOptionalStringFromEnv(
  name: string,
  env: Environment = process.env
): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
