import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { LocalRuntimeError } from './errors.ts';

/**
 * Makes the data directory private to the account running stagegate: it
 * holds webhook secrets, the admin token and every token hash, and any
 * local account that can read it can read those or write its own.
 *
 * From here on this process creates everything 0700/0600 (umask 077), and
 * so do the engines it starts, which inherit the umask (DynamoDB Local's
 * files; s3rver runs in-process). What an earlier start, or an older
 * stagegate, left more open is tightened: the directory and everything in
 * it that this account owns lose their group and other bits. Symbolic
 * links are not followed.
 */
export function makeDataDirPrivate(dataDir: string): void {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const pending = [dataDir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) continue;
    if (uid !== undefined && stat.uid !== uid) continue;
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) pending.push(join(path, entry));
    }
  }
}

/** Credentials the local engines accept, and only these. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const CREDENTIALS_FILE = 'credentials';

/**
 * The data directory's own credentials for its engines, made at its first
 * start and kept in `<dataDir>/credentials` (mode 0600): DynamoDB Local
 * keeps one database per access key (without `-sharedDb`), and the S3
 * server accepts only requests signed with this key pair. The engines'
 * ports are open to every local account; without this key a client sees
 * an empty DynamoDB and is refused by S3.
 *
 * The access key id is letters and digits only, as DynamoDB Local requires.
 * @throws LocalRuntimeError when the file exists but is not one of ours.
 */
export function dataDirCredentials(dataDir: string): LocalCredentials {
  const file = join(dataDir, CREDENTIALS_FILE);
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      parsed = undefined;
    }
    const { accessKeyId, secretAccessKey } = (parsed ?? {}) as Record<
      string,
      unknown
    >;
    if (
      typeof accessKeyId !== 'string' ||
      !/^[A-Za-z0-9]{16,128}$/.test(accessKeyId) ||
      typeof secretAccessKey !== 'string' ||
      secretAccessKey.length < 16
    ) {
      throw new LocalRuntimeError(
        `${file} is not a stagegate credentials file: restore it from a backup, or move the data directory away and start afresh.`
      );
    }
    return { accessKeyId, secretAccessKey };
  }
  const credentials: LocalCredentials = {
    accessKeyId: `SG${randomBytes(16).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  writeFileSync(file, `${JSON.stringify(credentials)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  return credentials;
}
