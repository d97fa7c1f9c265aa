import { notFoundRoot } from '#roots/api/not-found.ts';
import { handlerFromEnv } from '#shared/root.ts';

export const handler = handlerFromEnv(notFoundRoot, {});
