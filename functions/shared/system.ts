import { randomBytes } from 'node:crypto';

/**
 * The clock every composition root hands the domain: epoch milliseconds.
 * Tests pass their own.
 */
export const now = (): number => Date.now();

/**
 * The id source every composition root hands the domain: 128 random bits
 * as 32 lowercase hex characters, safe in Databricks path parameters.
 */
export const newId = (): string => randomBytes(16).toString('hex');
