import { describe, expect, it } from 'vitest';
import { matchPath } from '#local/gateway.ts';

describe('LocalGateway', () => {
  describe('matchPath', () => {
    const proxy = '/api/2.0/mlflow-artifacts/artifacts/{proxy+}';

    it('gives a greedy parameter the rest of the path, segment by segment decoded', () => {
      expect(
        matchPath(
          proxy,
          '/api/2.0/mlflow-artifacts/artifacts/mlflow-registry/m/1/a%20b/c.bin'
        )
      ).toEqual({ proxy: 'mlflow-registry/m/1/a b/c.bin' });
      expect(matchPath(proxy, '/api/2.0/mlflow-artifacts/artifacts/x')).toEqual(
        {
          proxy: 'x',
        }
      );
    });

    it('needs at least one segment for a greedy parameter', () => {
      expect(
        matchPath(proxy, '/api/2.0/mlflow-artifacts/artifacts')
      ).toBeUndefined();
      expect(
        matchPath(proxy, '/api/2.0/mlflow-artifacts/artifacts/')
      ).toBeUndefined();
      expect(
        matchPath(proxy, '/api/2.0/mlflow-artifacts/other/x')
      ).toBeUndefined();
    });

    it('keeps a single parameter to one segment', () => {
      const template = '/api/2.0/preview/scim/v2/Users/{id}';
      expect(matchPath(template, '/api/2.0/preview/scim/v2/Users/7')).toEqual({
        id: '7',
      });
      expect(
        matchPath(template, '/api/2.0/preview/scim/v2/Users/7/x')
      ).toBeUndefined();
      expect(
        matchPath(template, '/api/2.0/preview/scim/v2/Users/')
      ).toBeUndefined();
    });

    it('leaves a malformed escape as it was', () => {
      expect(
        matchPath(proxy, '/api/2.0/mlflow-artifacts/artifacts/a%zz')
      ).toEqual({
        proxy: 'a%zz',
      });
    });
  });
});
