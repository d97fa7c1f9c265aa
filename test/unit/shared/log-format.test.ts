import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCESS_MESSAGE, terminalLine } from '#shared/log-format.ts';
import { createTestContext } from '#test/support/events.ts';

const AT = new Date(2026, 11, 3, 12, 1, 2).toISOString();

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('terminalLine', () => {
  it('shows an access entry as time, status, method, path, latency, caller and request id', () => {
    // Act
    const line = terminalLine({
      level: 'INFO',
      message: ACCESS_MESSAGE,
      timestamp: AT,
      service: 'stagegate',
      correlation_id: 'req-1',
      function_request_id: 'lambda-1',
      route: 'GET /api/2.0/mlflow/registered-models/get',
      method: 'GET',
      path: '/api/2.0/mlflow/registered-models/get',
      status: 200,
      latencyMs: 5,
      principalId: '42',
      userName: 'alice',
    });

    // Assess
    expect(line).toBe(
      '12:01:02 200 GET /api/2.0/mlflow/registered-models/get 5 ms alice req=req-1'
    );
  });

  it("adds an error answer's code, and names no caller when there is none", () => {
    // Act
    const line = terminalLine({
      message: ACCESS_MESSAGE,
      timestamp: AT,
      correlation_id: 'req-2',
      method: 'GET',
      path: '/api/2.0/mlflow/registered-models/get',
      status: 401,
      latencyMs: 0,
      errorCode: 'UNAUTHENTICATED',
    });

    // Assess
    expect(line).toBe(
      '12:01:02 401 GET /api/2.0/mlflow/registered-models/get 0 ms - UNAUTHENTICATED req=req-2'
    );
  });

  it('shows other entries with their own keys, and an error with its stack below', () => {
    // Act
    const line = terminalLine({
      level: 'ERROR',
      message: 'Unhandled error',
      timestamp: AT,
      service: 'stagegate',
      cold_start: false,
      function_name: 'stagegate-local',
      correlation_id: 'req-3',
      operation: 'getRegisteredModel',
      report: { examined: 2 },
      error: {
        name: 'Error',
        message: 'connect ECONNREFUSED',
        stack: 'Error: connect ECONNREFUSED\n    at connect (net.js:1:1)',
      },
    });

    // Assess
    expect(line.split('\n')).toEqual([
      '12:01:02 ERROR Unhandled error operation=getRegisteredModel report={"examined":2} req=req-3',
      '  Error: connect ECONNREFUSED',
      '      at connect (net.js:1:1)',
    ]);
  });
});

describe('the logger', () => {
  /** What the logger of a fresh module graph prints for one entry. */
  async function printed(format: string | undefined) {
    vi.resetModules();
    if (format) vi.stubEnv('STAGEGATE_LOG_FORMAT', format);
    const { logger } = await import('#shared/powertools.ts');
    const chunks: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      chunks.push(String(chunk));
      return true;
    });
    logger.setLogLevel('INFO');
    logger.resetKeys();
    logger.addContext(createTestContext());
    logger.appendKeys({ correlation_id: 'req-4' });
    logger.info(ACCESS_MESSAGE, {
      method: 'POST',
      path: '/api/2.0/token/create',
      status: 200,
      latencyMs: 7,
      userName: 'bob',
    });
    return chunks.join('');
  }

  it('prints the access entry as a readable line with STAGEGATE_LOG_FORMAT=terminal', async () => {
    // Act
    const output = await printed('terminal');

    // Assess
    expect(output).toMatch(
      /^\d\d:\d\d:\d\d 200 POST \/api\/2\.0\/token\/create 7 ms bob req=req-4\n$/
    );
  });

  it('prints the same entry as Powertools JSON with STAGEGATE_LOG_FORMAT=json', async () => {
    // Act
    const output = await printed('json');

    // Assess
    expect(JSON.parse(output)).toMatchObject({
      level: 'INFO',
      message: ACCESS_MESSAGE,
      correlation_id: 'req-4',
      status: 200,
      latencyMs: 7,
      userName: 'bob',
    });
  });
});
