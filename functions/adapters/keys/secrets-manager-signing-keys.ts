import type { SigningKey } from '#domain/oauth.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';

/** How long a key read from Secrets Manager is kept in memory. */
const CACHE_MS = 5 * 60_000;
/** How long a key id Secrets Manager does not know is not asked again. */
const UNKNOWN_MS = 60_000;
/** The stages that verify: the current key and, through a rotation, the previous. */
const VERIFYING_STAGES = ['AWSCURRENT', 'AWSPREVIOUS'];

interface SecretValue {
  readonly VersionId?: string;
  readonly SecretString?: string;
  readonly VersionStages?: readonly string[];
}

/**
 * {@link SigningKeys} in a Secrets Manager secret, read through the AWS
 * Parameters and Secrets Lambda extension (a local HTTP endpoint that
 * caches, so no SDK client is bundled): the `AWSCURRENT` version signs,
 * it and `AWSPREVIOUS` verify; a key's id is its version id. Rotating is
 * `aws secretsmanager put-secret-value` with a new random string: tokens
 * signed with the previous key keep verifying until they expire.
 */
export class SecretsManagerSigningKeys implements SigningKeys {
  readonly #secretId: string;
  readonly #endpoint: string;
  readonly #token: () => string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #keys = new Map<string, { key: SigningKey; until: number }>();
  readonly #unknown = new Map<string, number>();
  #current: { key: SigningKey; until: number } | undefined;

  constructor(options: {
    secretId: string;
    /** @default http://localhost:${PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773} */
    endpoint?: string;
    /** The extension's token: the function's session token. */
    token?: () => string;
    fetch?: typeof fetch;
    now?: () => number;
  }) {
    this.#secretId = options.secretId;
    this.#endpoint =
      options.endpoint ??
      `http://localhost:${process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773'}`;
    this.#token = options.token ?? (() => process.env.AWS_SESSION_TOKEN ?? '');
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  async current(): Promise<SigningKey> {
    const now = this.#now();
    if (this.#current && this.#current.until > now) return this.#current.key;
    const value = await this.#get({ versionStage: 'AWSCURRENT' });
    const key = value && keyOf(value);
    if (!key) throw new Error('The signing key secret has no current value.');
    this.#current = { key, until: now + CACHE_MS };
    this.#keys.set(key.kid, { key, until: now + CACHE_MS });
    return key;
  }

  async find(kid: string): Promise<SigningKey | undefined> {
    const now = this.#now();
    const cached = this.#keys.get(kid);
    if (cached && cached.until > now) return cached.key;
    const unknownUntil = this.#unknown.get(kid);
    if (unknownUntil !== undefined && unknownUntil > now) return undefined;
    if (!/^[A-Za-z0-9-]{1,64}$/.test(kid)) return undefined;
    const value = await this.#get({ versionId: kid });
    const verifies = value?.VersionStages?.some((stage) =>
      VERIFYING_STAGES.includes(stage)
    );
    const key = value && verifies ? keyOf(value) : undefined;
    if (!key) {
      if (this.#unknown.size >= 1000) this.#unknown.clear();
      this.#unknown.set(kid, now + UNKNOWN_MS);
      return undefined;
    }
    this.#keys.set(kid, { key, until: now + CACHE_MS });
    return key;
  }

  async #get(
    version: { versionStage: string } | { versionId: string }
  ): Promise<SecretValue | undefined> {
    const query = new URLSearchParams({ secretId: this.#secretId, ...version });
    const response = await this.#fetch(
      `${this.#endpoint}/secretsmanager/get?${query}`,
      { headers: { 'X-Aws-Parameters-Secrets-Token': this.#token() } }
    );
    if (response.status === 400 || response.status === 404) return undefined;
    if (!response.ok) {
      throw new Error(
        `Reading the signing key failed with status ${response.status}.`
      );
    }
    return (await response.json()) as SecretValue;
  }
}

function keyOf(value: SecretValue): SigningKey | undefined {
  if (!value.VersionId || !value.SecretString) return undefined;
  return {
    kid: value.VersionId,
    secret: Buffer.from(value.SecretString, 'utf8'),
  };
}
