import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  isPublicAddress,
  testPayload,
  validateEvents,
  validateWebhookUrl,
  webhookSignature,
} from '#domain/webhook.ts';

describe('webhook rules', () => {
  describe('validateWebhookUrl', () => {
    it.each([
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://172.16.0.1/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://localhost/hook',
      'https://printer.local/hook',
      'http://example.com/hook',
    ])('refuses %s without the local flag', (url) => {
      // Act & Assess
      expect(() => validateWebhookUrl(url, false)).toThrow(
        InvalidParameterValueError
      );
    });

    it.each([
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'https://10.0.0.1/x',
    ])('allows %s with the local flag', (url) => {
      // Act & Assess
      expect(validateWebhookUrl(url, true).href).toBe(new URL(url).href);
    });

    it('allows https to public hosts and addresses', () => {
      // Act & Assess
      expect(() =>
        validateWebhookUrl('https://hooks.slack.com/services/x', false)
      ).not.toThrow();
      expect(() =>
        validateWebhookUrl('https://8.8.8.8/x', false)
      ).not.toThrow();
    });

    it.each([
      'not a url',
      'ftp://example.com/x',
      'https://user:pass@example.com/x',
    ])('refuses %s always', (url) => {
      // Act & Assess
      expect(() => validateWebhookUrl(url, true)).toThrow(
        InvalidParameterValueError
      );
    });
  });

  describe('isPublicAddress', () => {
    it('tells public from private, loopback, link-local and reserved addresses', () => {
      // Act & Assess
      expect(isPublicAddress('93.184.216.34')).toBe(true);
      expect(isPublicAddress('2606:4700::1111')).toBe(true);
      expect(isPublicAddress('100.64.0.1')).toBe(false);
      expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
      expect(isPublicAddress('not-an-ip')).toBe(false);
    });
  });

  describe('validateEvents', () => {
    it('keeps known events once and refuses REGISTERED_MODEL_CREATED on a model', () => {
      // Act & Assess
      expect(
        validateEvents(['COMMENT_CREATED', 'COMMENT_CREATED'], undefined)
      ).toEqual(['COMMENT_CREATED']);
      expect(() => validateEvents(['REGISTERED_MODEL_CREATED'], 'm')).toThrow(
        /registry-wide/
      );
      expect(() => validateEvents(['NOPE'], undefined)).toThrow(/NOPE/);
      expect(() => validateEvents([], undefined)).toThrow(/events/);
    });
  });

  describe('webhookSignature', () => {
    it("is the lowercase hex HMAC-SHA256 of the body (Databricks' reference)", () => {
      // Prepare: hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", sha256)
      const body = 'The quick brown fox jumps over the lazy dog';

      // Act & Assess
      expect(webhookSignature('key', body)).toBe(
        'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8'
      );
    });
  });

  describe('testPayload', () => {
    it("has Databricks' payload fields, version as a string", () => {
      // Act
      const payload = testPayload(
        { id: 'abc', modelName: 'm' },
        'MODEL_VERSION_TRANSITIONED_STAGE',
        1589859029343
      );

      // Assess
      expect(Object.keys(payload).sort()).toEqual(
        [
          'event',
          'webhook_id',
          'event_timestamp',
          'model_name',
          'version',
          'to_stage',
          'from_stage',
          'text',
        ].sort()
      );
      expect(payload).toMatchObject({
        version: '1',
        event_timestamp: 1589859029343,
      });
    });
  });
});
