import { readFileSync } from 'node:fs';
import type { SigningKey } from '#domain/oauth.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';

/** How often an unknown key id may make the file be read again. */
const REREAD_MS = 10_000;

/**
 * {@link SigningKeys} from a file of the local data directory (mode 0600,
 * written at first start): `{"keys": [{"kid", "secret"}]}`, the first the
 * current one, `secret` base64url. A rotation puts a new key first and
 * keeps the old ones until their tokens expired; the file is read again
 * when a token names a key not seen yet.
 */
export class FileSigningKeys implements SigningKeys {
  readonly #path: string;
  readonly #now: () => number;
  #keys: SigningKey[] | undefined;
  #readAt = 0;

  constructor(options: { path: string; now?: () => number }) {
    this.#path = options.path;
    this.#now = options.now ?? Date.now;
  }

  async current(): Promise<SigningKey> {
    const [first] = this.#load(false);
    if (!first) throw new Error(`${this.#path} holds no signing key.`);
    return first;
  }

  async find(kid: string): Promise<SigningKey | undefined> {
    const known = this.#load(false).find((key) => key.kid === kid);
    if (known || this.#now() - this.#readAt < REREAD_MS) return known;
    return this.#load(true).find((key) => key.kid === kid);
  }

  #load(fresh: boolean): SigningKey[] {
    if (this.#keys && !fresh) return this.#keys;
    const parsed = JSON.parse(readFileSync(this.#path, 'utf8')) as {
      keys?: { kid?: unknown; secret?: unknown }[];
    };
    this.#keys = (parsed.keys ?? []).flatMap((key) =>
      typeof key.kid === 'string' && typeof key.secret === 'string'
        ? [{ kid: key.kid, secret: Buffer.from(key.secret, 'base64url') }]
        : []
    );
    this.#readAt = this.#now();
    return this.#keys;
  }
}
