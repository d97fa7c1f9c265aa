import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/errors.ts';
import { canonicalStage, parseModelUri } from '../../../cli/model-uri.ts';

describe('parseModelUri', () => {
  it('reads a version number', () => {
    // Act & Assess
    expect(parseModelUri('models:/fraud/3')).toEqual({
      profile: undefined,
      name: 'fraud',
      reference: { kind: 'version', version: '3' },
    });
  });

  it('reads a stage in any case as its canonical name', () => {
    // Act & Assess
    expect(parseModelUri('models:/fraud/production').reference).toEqual({
      kind: 'stage',
      stage: 'Production',
    });
    expect(parseModelUri('models:/fraud/None').reference).toEqual({
      kind: 'stage',
      stage: 'None',
    });
  });

  it('reads latest and an alias', () => {
    // Act & Assess
    expect(parseModelUri('models:/fraud/Latest').reference).toEqual({
      kind: 'latest',
    });
    expect(parseModelUri('models:/fraud@champion')).toEqual({
      profile: undefined,
      name: 'fraud',
      reference: { kind: 'alias', alias: 'champion' },
    });
  });

  it('reads a profile from the authority, as MLflow names a remote registry', () => {
    // Act & Assess
    expect(parseModelUri('models://prod/fraud/2')).toEqual({
      profile: 'prod',
      name: 'fraud',
      reference: { kind: 'version', version: '2' },
    });
  });

  it.each([
    ['runs:/abc/model', /does not start with models:\//],
    ['models:/fraud', /exactly a name and a version/],
    ['models:/a/b/1', /exactly a name and a version/],
    ['models:/fraud/0', /'0' is not a version number, a stage/],
    ['models:/fraud/prod', /'prod' is not a version number, a stage/],
    ['models:/@alias', /the name or the alias is empty/],
    ['models://a:b@databricks/m/1', /'a:b@databricks' is not a profile name/],
  ])('refuses %s with a usage error', (uri, message) => {
    // Act
    const parse = () => parseModelUri(uri);

    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});

describe('canonicalStage', () => {
  it('knows the four stages and nothing else', () => {
    // Act & Assess
    expect(canonicalStage('STAGING')).toBe('Staging');
    expect(canonicalStage('archived')).toBe('Archived');
    expect(canonicalStage('dev')).toBeUndefined();
  });
});
