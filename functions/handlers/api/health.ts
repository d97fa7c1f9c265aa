import { healthRoot } from '#roots/api/health.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(healthRoot, {});
