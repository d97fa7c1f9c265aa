import type {
  FileToSign,
  RegistryClient,
  UploadSession,
  UploadTarget,
} from './client.ts';
import { PART_CONCURRENCY } from './transfer.ts';

/** A URL this close to its expiry is signed again before it is used. */
export const URL_RENEWAL_MARGIN_MS = 60_000;
/** Parts signed again in one call: the next ones of the same file. */
export const PARTS_PER_SIGNING = 100;
/**
 * Earlier parts a signing covers too when their URLs are stale: parts run
 * several at a time ({@link PART_CONCURRENCY}), so the ones just before
 * may still be in flight and about to need a URL.
 */
const EARLIER_PARTS = 2 * PART_CONCURRENCY;

interface Signed {
  readonly path: string;
  readonly url: string;
  /** Epoch milliseconds; unknown counts as never. */
  readonly expiresAt: number | undefined;
  /** Which answer of the registry it came in. */
  readonly batch: number;
}

/**
 * The presigned URLs of one upload session, fresh when used. A URL about
 * to expire (within {@link URL_RENEWAL_MARGIN_MS}) or that storage refused
 * is replaced by asking the registry to sign again (`uploads/sign`), for
 * that file's next parts at once, so a slow upload of a large file works
 * with the registry's short-lived URLs whatever it takes. (S3 checks a
 * URL's expiry when a request starts, so a part that started in time
 * finishes.) Signing again also tells the registry the upload is alive.
 */
export class UploadUrls {
  readonly #client: Pick<RegistryClient, 'signUpload'>;
  readonly #uploadId: string;
  readonly #now: () => number;
  readonly #targets: ReadonlyMap<string, UploadTarget>;
  readonly #urls = new Map<string, Signed>();
  /** One signing at a time per file; concurrent parts wait for it. */
  readonly #signing = new Map<string, Promise<void>>();
  /** How many times the registry was asked (for tests and progress). */
  signings = 0;
  #batches = 0;

  constructor(options: {
    client: Pick<RegistryClient, 'signUpload'>;
    session: UploadSession;
    now: () => number;
  }) {
    this.#client = options.client;
    this.#uploadId = options.session.uploadId;
    this.#now = options.now;
    this.#targets = new Map(
      options.session.files.map((target) => [target.path, target])
    );
    this.#remember(options.session);
  }

  /**
   * The URL of a file (no part number) or of one of its parts.
   * @param options.refused a URL of this file or part that storage
   *   refused: it is signed again whatever its expiry says, unless a
   *   fresher one came meanwhile (another part's signing).
   */
  async url(
    path: string,
    partNumber?: number,
    options: { refused?: string | undefined } = {}
  ): Promise<string> {
    const key = keyOf(path, partNumber);
    if (options.refused !== undefined) this.#refuse(key, options.refused);
    const known = this.#urls.get(key);
    if (known && this.#fresh(known)) {
      return known.url;
    }
    const pending = this.#signing.get(path);
    if (pending) {
      await pending;
      const signed = this.#urls.get(key);
      if (signed && signed !== known && this.#fresh(signed)) return signed.url;
    }
    const signing = this.#sign(path, partNumber).finally(() =>
      this.#signing.delete(path)
    );
    this.#signing.set(path, signing);
    await signing;
    const signed = this.#urls.get(key);
    if (!signed) throw new Error(`the registry signed no URL for ${key}`);
    return signed.url;
  }

  /**
   * Storage refused `url`: the URLs of the same file signed with it are
   * taken for expired too (one clock, one lifetime), so the next signing
   * covers them at once.
   */
  #refuse(key: string, url: string): void {
    const refused = this.#urls.get(key);
    if (refused?.url !== url) return;
    for (const [other, signed] of this.#urls) {
      if (signed.path === refused.path && signed.batch === refused.batch) {
        this.#urls.set(other, { ...signed, expiresAt: 0 });
      }
    }
  }

  #fresh(signed: Signed): boolean {
    return (
      signed.expiresAt === undefined ||
      signed.expiresAt - this.#now() > URL_RENEWAL_MARGIN_MS
    );
  }

  async #sign(path: string, partNumber: number | undefined): Promise<void> {
    const target = this.#targets.get(path);
    let file: FileToSign = { path };
    if (target?.kind === 'multipart' && partNumber !== undefined) {
      const first = Math.max(1, partNumber - EARLIER_PARTS);
      const last = Math.min(
        target.parts.length,
        partNumber + PARTS_PER_SIGNING - 1
      );
      const partNumbers: number[] = [];
      for (let number = first; number <= last; number++) {
        const known = this.#urls.get(keyOf(path, number));
        if (number === partNumber || !known || !this.#fresh(known)) {
          partNumbers.push(number);
        }
      }
      file = { path, partNumbers };
    }
    this.signings += 1;
    this.#remember(await this.#client.signUpload(this.#uploadId, [file]));
  }

  #remember(session: UploadSession): void {
    const batch = this.#batches++;
    const expiresAt = session.expiresAtMs;
    for (const target of session.files) {
      const { path } = target;
      if (target.kind === 'single') {
        this.#urls.set(keyOf(path), {
          path,
          url: target.url,
          expiresAt,
          batch,
        });
        continue;
      }
      for (const part of target.parts) {
        this.#urls.set(keyOf(path, part.partNumber), {
          path,
          url: part.url,
          expiresAt,
          batch,
        });
      }
    }
  }
}

function keyOf(path: string, partNumber?: number): string {
  return partNumber === undefined ? path : `${path}#${partNumber}`;
}
