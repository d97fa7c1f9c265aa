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
      'https://[::7f00:1]/hook',
      'https://[::127.0.0.1]/hook',
      'https://[2002:7f00:1::]/hook',
      'https://[::ffff:0:7f00:1]/hook',
      'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook',
      'https://[64:ff9b::a9fe:a9fe]/hook',
      'https://0.0.0.0/hook',
      // Every IPv4 spelling a URL parser turns into 127.0.0.1 or 10.0.0.1.
      'https://2130706433/hook',
      'https://0x7f000001/hook',
      'https://0x7f.1/hook',
      'https://017700000001/hook',
      'https://0177.0.0.1/hook',
      'https://127.1/hook',
      'https://10.1/hook',
      'https://167772161/hook',
      'https://[0:0:0:0:0:ffff:127.0.0.1]/hook',
      'https://[0000::0001]/hook',
      'https://[::]/hook',
      'https://localhost/hook',
      'https://LOCALHOST./hook',
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
      expect(() =>
        validateWebhookUrl('https://[2606:4700::1111]/x', false)
      ).not.toThrow();
      expect(() =>
        validateWebhookUrl('https://[::ffff:8.8.8.8]/x', false)
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

    it.each([
      // IPv4-compatible (deprecated): loopback in hex and dotted spelling
      '::7f00:1',
      '::127.0.0.1',
      '0:0:0:0:0:0:7f00:1',
      '::a9fe:a9fe',
      // IPv4-compatible with a public IPv4: the whole range is refused
      '::808:808',
      // IPv4-mapped, every spelling
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:7f00:1',
      '::FFFF:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::ffff:c0a8:101',
      // IPv4-translated (SIIT)
      '::ffff:0:127.0.0.1',
      '::ffff:0:7f00:1',
      // 6to4 (deprecated), whatever it embeds
      '2002:7f00:1::',
      '2002:a9fe:a9fe::1',
      '2002:808:808::1',
      // NAT64, well-known and local-use prefixes
      '64:ff9b::7f00:1',
      '64:ff9b::8.8.8.8',
      '64:ff9b:1::a00:1',
      // Teredo and the rest of the IETF protocol block
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      '2001:2::1',
      '2001:10::1',
      // unspecified, loopback, unique-local, link-local, site-local,
      // multicast, discard-only, documentation, SRv6
      '::',
      '::1',
      '0:0:0:0:0:0:0:1',
      'fd00::1',
      'fc00::1',
      'fe80::1',
      'fe80::1%eth0',
      'fec0::1',
      'ff02::1',
      '100::1',
      '2001:db8::1',
      '3fff::1',
      '5f00::1',
      // IPv4
      '0.0.0.0',
      '10.0.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '192.168.1.1',
      '192.88.99.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
    ])('refuses %s', (address) => {
      // Act & Assess
      expect(isPublicAddress(address)).toBe(false);
    });

    it.each([
      '8.8.8.8',
      '1.1.1.1',
      '93.184.216.34',
      '::ffff:8.8.8.8',
      '::ffff:808:808',
      '2606:4700::1111',
      '2001:4860:4860::8888',
      '2a00:1450:4001:82a::200e',
      '2001:200::1',
      '2400:cb00::1',
    ])('allows the public address %s', (address) => {
      // Act & Assess
      expect(isPublicAddress(address)).toBe(true);
    });
  });

  describe('validateEvents', () => {
    it('keeps known events once and refuses REGISTERED_MODEL_CREATED on a model', () => {
      // Act & Assess
      expect(
        validateEvents(['COMMENT_CREATED', 'COMMENT_CREATED'], 'registry')
      ).toEqual(['COMMENT_CREATED']);
      expect(() =>
        validateEvents(['REGISTERED_MODEL_CREATED'], 'model')
      ).toThrow(/registry-wide/);
      expect(() => validateEvents(['NOPE'], 'registry')).toThrow(/NOPE/);
      expect(() => validateEvents([], 'registry')).toThrow(/events/);
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
