import { afterEach, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../../support/browser.ts';

describe('launchChromium', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fails saying what to install when Chromium is missing', async () => {
    // Prepare
    vi.stubEnv('CHROMIUM_PATH', '/nonexistent/chromium');

    // Act and assess
    await expect(launchChromium()).rejects.toThrow(
      /Chromium is missing at \/nonexistent\/chromium: install it \(sudo apt-get install -y chromium\)/
    );
  });
});
