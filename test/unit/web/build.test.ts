import { describe, expect, it } from 'vitest';
import { buildWebAssets } from '../../../web/build.ts';

describe('buildWebAssets', () => {
  it('serves an HTML page naming its content-hashed script and style sheet', () => {
    // Act
    const assets = buildWebAssets();

    // Assess
    const html = assets.get('/index.html')?.body.toString('utf8') ?? '';
    const named = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(
      (match) => match[1]
    );
    expect(named).toHaveLength(2);
    for (const path of named) {
      expect(assets.get(path ?? '')?.cacheControl).toContain('immutable');
    }
    expect(assets.get('/index.html')?.cacheControl).toBe('no-cache');
  });
});
