/**
 * What the registry remembers of the e-mails it sent: that a mail went
 * out (so an event dispatched twice mails nobody twice) and that its links
 * were used (so a mail decides at most once). Keyed by the mail's id;
 * entries go after `keepUntil` (epoch milliseconds), once nothing can use
 * them any more.
 */
export interface EmailLedger {
  /**
   * Records that a mail is being sent.
   * @returns false when it was recorded before (sent, or being sent).
   */
  claimSend(mailId: string, keepUntil: number): Promise<boolean>;
  /** Forgets a claim whose mail could not be sent, so a retry sends it. */
  releaseSend(mailId: string): Promise<void>;
  /** When the mail's links were used, if they were. */
  getUse(mailId: string): Promise<{ readonly usedAt: number } | undefined>;
  /**
   * Marks the mail's links used, on condition that they were not: two
   * concurrent uses of one mail find one `true`.
   */
  markUsed(mailId: string, at: number, keepUntil: number): Promise<boolean>;
  /** Undoes {@link markUsed} when the decision it guarded did not happen. */
  releaseUse(mailId: string, at: number): Promise<void>;
}
