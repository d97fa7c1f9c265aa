import type { EmailLedger } from '#ports/email-ledger.ts';

/** {@link EmailLedger} in memory, with the DynamoDB one's conditions. */
export class MemoryEmailLedger implements EmailLedger {
  readonly entries = new Map<
    string,
    { sent?: boolean; usedAt?: number; keepUntil: number }
  >();

  async claimSend(mailId: string, keepUntil: number): Promise<boolean> {
    if (this.entries.has(mailId)) return false;
    this.entries.set(mailId, { sent: true, keepUntil });
    return true;
  }

  async releaseSend(mailId: string): Promise<void> {
    if (this.entries.get(mailId)?.usedAt === undefined) {
      this.entries.delete(mailId);
    }
  }

  async getUse(mailId: string): Promise<{ usedAt: number } | undefined> {
    const usedAt = this.entries.get(mailId)?.usedAt;
    return usedAt === undefined ? undefined : { usedAt };
  }

  async markUsed(
    mailId: string,
    at: number,
    keepUntil: number
  ): Promise<boolean> {
    const entry = this.entries.get(mailId);
    if (entry?.usedAt !== undefined) return false;
    this.entries.set(mailId, { ...entry, usedAt: at, keepUntil });
    return true;
  }

  async releaseUse(mailId: string, at: number): Promise<void> {
    const entry = this.entries.get(mailId);
    if (entry?.usedAt === at) {
      const { usedAt: _usedAt, ...rest } = entry;
      this.entries.set(mailId, rest);
    }
  }
}
