import { createServer } from 'node:net';
import { LocalRuntimeError } from './errors.ts';

/** A port free on 127.0.0.1 right now (the OS picks it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Fails fast, before any engine starts, when the API port is taken.
 * @throws LocalRuntimeError with what to do about it.
 */
export function assertPortFree(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalRuntimeError(
              `Port ${port} on 127.0.0.1 is already in use: stop whatever uses it or set STAGEGATE_PORT to another port.`
            )
          : error
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
