import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, signedInPage } from '../test/support/browser.ts';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * Time to first paint of the models list with MODELS models in the
 * registry, in Debian's Chromium against the whole local stack: from the
 * navigation's start to the list's first row on screen (and the browser's
 * first contentful paint), over fresh page loads (first load discarded).
 * The list shows a page of 25; the caller's level on each fills in after.
 */
const MODELS = Number(process.env.BENCH_MODELS ?? '1000');
const LOADS = Number(process.env.BENCH_ITERATIONS ?? '10');
const CONCURRENCY = 8;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-web-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({ dataDir, adminToken: token });
  const browser = await launchChromium();
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MODELS) {
          const i = next;
          next += 1;
          const response = await fetch(
            `${registry.url}/api/2.0/mlflow/registered-models/create`,
            {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({
                name: `model-${String(i).padStart(4, '0')}`,
                tags: [{ key: 'team', value: `team-${i % 10}` }],
              }),
            }
          );
          if (!response.ok) throw new Error(await response.text());
        }
      })
    );
    const listPaint: number[] = [];
    const contentfulPaint: number[] = [];
    const searchCall: number[] = [];
    for (let load = 0; load <= LOADS; load += 1) {
      const { context, page, errors } = await signedInPage(
        browser,
        registry.url,
        token
      );
      await page.goto('/#/models');
      await page.locator('main table tbody tr').first().waitFor();
      const timing = await page.evaluate(() => ({
        list: performance.now(),
        search: performance
          .getEntriesByType('resource')
          .filter((entry) => entry.name.includes('/registered-models/search'))
          .map((entry) => entry.duration)[0],
        fcp:
          performance.getEntriesByName('first-contentful-paint')[0]
            ?.startTime ?? Number.NaN,
      }));
      if (errors.length > 0) throw new Error(errors.join('\n'));
      await context.close();
      if (load === 0) continue;
      listPaint.push(timing.list);
      contentfulPaint.push(timing.fcp);
      searchCall.push(timing.search ?? Number.NaN);
    }
    console.log(
      JSON.stringify(
        {
          models: MODELS,
          loads: LOADS,
          models_list_first_row_ms_median: Math.round(median(listPaint)),
          models_list_first_row_ms_max: Math.round(Math.max(...listPaint)),
          first_contentful_paint_ms_median: Math.round(median(contentfulPaint)),
          search_call_in_page_ms_median: Math.round(median(searchCall)),
          load_average_1m: loadavg()[0],
        },
        null,
        2
      )
    );
  } finally {
    await browser.close();
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
