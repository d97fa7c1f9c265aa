import { describe, expect, it } from 'vitest';
import { webhookSignature } from '#domain/webhook.ts';
import {
  backoffDelayMs,
  classifyResponse,
  DEFAULT_RETRY_POLICY,
  deliveryHeaders,
  isFinal,
  retryAfterMs,
  standardWebhooksKey,
  standardWebhooksSignature,
} from '#domain/webhook-delivery.ts';

describe('webhook delivery rules', () => {
  describe('backoffDelayMs', () => {
    const policy = {
      ...DEFAULT_RETRY_POLICY,
      baseDelayMs: 1000,
      maxDelayMs: 10_000,
    };

    it('doubles after each failure, between half and all of the schedule', () => {
      // Act
      const highest = [1, 2, 3, 4].map((failed) =>
        backoffDelayMs(policy, failed, { random: () => 1 })
      );
      const lowest = [1, 2, 3, 4].map((failed) =>
        backoffDelayMs(policy, failed, { random: () => 0 })
      );

      // Assess
      expect(highest).toEqual([1000, 2000, 4000, 8000]);
      expect(lowest).toEqual([500, 1000, 2000, 4000]);
    });

    it('stops growing at the cap', () => {
      expect(backoffDelayMs(policy, 30, { random: () => 1 })).toBe(10_000);
    });

    it('waits at least a receiver’s Retry-After, within the cap', () => {
      expect(
        backoffDelayMs(policy, 1, { random: () => 1, retryAfterMs: 7000 })
      ).toBe(7000);
      expect(
        backoffDelayMs(policy, 1, { random: () => 1, retryAfterMs: 99_000 })
      ).toBe(10_000);
    });

    it('spreads the default schedule over about an hour of attempts', () => {
      const total = Array.from(
        { length: DEFAULT_RETRY_POLICY.maxAttempts - 1 },
        (_, index) =>
          backoffDelayMs(DEFAULT_RETRY_POLICY, index + 1, { random: () => 1 })
      ).reduce((sum, delay) => sum + delay, 0);
      expect(total).toBe(30_000 * (2 ** 7 - 1));
    });
  });

  describe('classifyResponse', () => {
    it.each([
      [200, 'delivered'],
      [204, 'delivered'],
      [undefined, 'retryable'],
      [408, 'retryable'],
      [429, 'retryable'],
      [500, 'retryable'],
      [503, 'retryable'],
      [301, 'permanent'],
      [400, 'permanent'],
      [401, 'permanent'],
      [404, 'permanent'],
      [410, 'permanent'],
    ] as const)('treats %s as %s', (status, kind) => {
      expect(classifyResponse(status)).toBe(kind);
    });
  });

  describe('retryAfterMs', () => {
    it('reads seconds and HTTP dates, and ignores anything else', () => {
      const now = Date.parse('2026-01-01T00:00:00Z');
      expect(retryAfterMs('12', now)).toBe(12_000);
      expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
      expect(retryAfterMs('soon', now)).toBeUndefined();
      expect(retryAfterMs(undefined, now)).toBeUndefined();
      expect(retryAfterMs(' ', now)).toBeUndefined();
    });
  });

  describe('signatures', () => {
    it('matches Standard Webhooks’ own test vector', () => {
      // The example of the Standard Webhooks specification's test suite.
      expect(
        standardWebhooksSignature(
          'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          'msg_p5jXN8AQM9LWM0D4loKWxJek',
          1614265330,
          '{"test": 2432232314}'
        )
      ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    });

    it('keys a Databricks secret (free text) by its UTF-8 bytes', () => {
      expect(standardWebhooksKey('plain secret')).toEqual(
        Buffer.from('plain secret')
      );
    });

    it('signs both ways with a secret, and sends the Authorization it has', () => {
      // Act
      const headers = deliveryHeaders({
        messageId: 'm1',
        body: '{"a":1}',
        at: 1_700_000_000_999,
        secret: 's',
        authorization: 'Bearer x',
      });

      // Assess
      expect(headers).toEqual({
        'content-type': 'application/json',
        'webhook-id': 'm1',
        'webhook-timestamp': '1700000000',
        'x-databricks-signature': webhookSignature('s', '{"a":1}'),
        'webhook-signature': standardWebhooksSignature(
          's',
          'm1',
          1_700_000_000,
          '{"a":1}'
        ),
        authorization: 'Bearer x',
      });
    });

    it('sends the id and time but no signature without a secret', () => {
      expect(
        deliveryHeaders({ messageId: 'm1', body: '{}', at: 5000 })
      ).toEqual({
        'content-type': 'application/json',
        'webhook-id': 'm1',
        'webhook-timestamp': '5',
      });
    });
  });

  it('treats every status but PENDING as final', () => {
    expect(isFinal('PENDING')).toBe(false);
    expect(isFinal('DELIVERED')).toBe(true);
    expect(isFinal('FAILED')).toBe(true);
    expect(isFinal('CANCELLED')).toBe(true);
  });
});
