import type { Principal } from '#domain/principal.ts';

/** A personal access or service-principal token, as stored: only its hash. */
export interface StoredToken {
  readonly tokenId: string;
  /** SHA-256 of the token value, hex. The value itself is never stored. */
  readonly tokenHash: string;
  readonly principalId: string;
  readonly comment: string;
  readonly creationTime: number;
  /** Epoch milliseconds; -1 means the token never expires (Databricks). */
  readonly expiryTime: number;
}

/** Principals and their tokens. */
export interface IdentityStore {
  getPrincipal(id: string): Promise<Principal | undefined>;
  /** Creates or replaces a principal. */
  putPrincipal(principal: Principal): Promise<void>;

  getTokenByHash(tokenHash: string): Promise<StoredToken | undefined>;
  /** @throws ResourceAlreadyExistsError when the hash is already stored. */
  createToken(token: StoredToken): Promise<void>;
  /** Creates or replaces a token (bootstrap token rotation). */
  putToken(token: StoredToken): Promise<void>;
  listTokens(principalId: string): Promise<readonly StoredToken[]>;
  /** @returns false when the principal has no token with that id. */
  deleteToken(principalId: string, tokenId: string): Promise<boolean>;
}
