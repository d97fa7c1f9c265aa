/**
 * Reads a required setting from the environment once, at module scope of a
 * handler (the composition root).
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
