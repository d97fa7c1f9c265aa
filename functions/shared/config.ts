/**
 * Reads a required setting from the environment once, at a function's cold
 * start (`handlerFromEnv` and the roots' `wire`).
 * @throws Error naming the missing variable, so a misconfigured function
 *   fails at cold start instead of on some later request.
 */
export function getStringFromEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set.`);
  }
  return value;
}

export function getOptionalStringFromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
