import { describe, expect, it } from 'vitest';
import type { EmailLedger } from '#ports/email-ledger.ts';

/** Returns a ledger that holds no mail yet. */
export type EmailLedgerFactory = () => Promise<EmailLedger>;

const T0 = 1_700_000_000_000;
const MAIL = 'a'.repeat(32);

/**
 * The behaviour every {@link EmailLedger} must share, run against the
 * in-memory fake and against DynamoDB Local.
 */
export function describeEmailLedgerContract(
  name: string,
  createLedger: EmailLedgerFactory
): void {
  describe(`EmailLedger contract (${name})`, () => {
    it('claims a mail once, and again after a release', async () => {
      // Prepare
      const ledger = await createLedger();

      // Act
      const first = await ledger.claimSend(MAIL, T0);
      const second = await ledger.claimSend(MAIL, T0);
      await ledger.releaseSend(MAIL);
      const afterRelease = await ledger.claimSend(MAIL, T0);

      // Assess
      expect([first, second, afterRelease]).toEqual([true, false, true]);
    });

    it('marks a mail used once, of two racing uses, whether or not it was claimed', async () => {
      // Prepare
      const ledger = await createLedger();
      await ledger.claimSend(MAIL, T0);

      // Act
      const raced = await Promise.all([
        ledger.markUsed(MAIL, T0 + 1, T0 + 10),
        ledger.markUsed(MAIL, T0 + 2, T0 + 10),
      ]);
      const unclaimed = await ledger.markUsed('b'.repeat(32), T0, T0 + 10);

      // Assess
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(unclaimed).toBe(true);
      expect((await ledger.getUse(MAIL))?.usedAt).toBe(
        raced[0] ? T0 + 1 : T0 + 2
      );
      expect(await ledger.getUse('c'.repeat(32))).toBeUndefined();
    });

    it('releases only the use it made, and keeps a used mail claimed', async () => {
      // Prepare
      const ledger = await createLedger();
      await ledger.claimSend(MAIL, T0);
      await ledger.markUsed(MAIL, T0 + 1, T0 + 10);

      // Act
      await ledger.releaseUse(MAIL, T0 + 2);
      const stillUsed = await ledger.getUse(MAIL);
      await ledger.releaseSend(MAIL);
      const claimAgain = await ledger.claimSend(MAIL, T0);
      await ledger.releaseUse(MAIL, T0 + 1);

      // Assess
      expect(stillUsed).toEqual({ usedAt: T0 + 1 });
      expect(claimAgain).toBe(false);
      expect(await ledger.getUse(MAIL)).toBeUndefined();
      expect(await ledger.markUsed(MAIL, T0 + 3, T0 + 10)).toBe(true);
    });
  });
}
