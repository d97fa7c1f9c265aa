/**
 * Who is calling, as resolved by the authorizer from a bearer token.
 * `userName` is what Databricks reports as `user_id` on registry objects.
 */
export type PrincipalKind = 'user' | 'service_principal';

export interface Principal {
  readonly id: string;
  readonly userName: string;
  readonly kind: PrincipalKind;
  readonly isAdmin: boolean;
  readonly groups: readonly string[];
  /**
   * The request came with an OAuth access token (short-lived), not a
   * personal access token: it may not mint long-lived credentials.
   */
  readonly viaOAuth?: boolean | undefined;
}

/** The bootstrap admin that `npm start` (or the deploy-time script) creates. */
export const BOOTSTRAP_ADMIN: Principal = {
  id: '1',
  userName: 'admin',
  kind: 'user',
  isAdmin: true,
  groups: ['admins'],
};

/** A group as its members carry it: id and current display name. */
export interface GroupRef {
  readonly id: string;
  readonly displayName: string;
}

/**
 * A user or service principal of the identity directory (Databricks'
 * workspace SCIM API). Every principal is implicitly in `users` (never
 * stored); members of `admins` are workspace admins.
 */
export interface DirectoryPrincipal {
  readonly id: string;
  readonly kind: PrincipalKind;
  /** A user's user name (e.g. an email); a service principal's application id. */
  readonly userName: string;
  readonly displayName: string;
  readonly active: boolean;
  /** The groups it belongs to, in display-name order. */
  readonly groups: readonly GroupRef[];
}

export interface DirectoryGroup {
  readonly id: string;
  readonly displayName: string;
  readonly memberIds: readonly string[];
  /** Set while a rename is being written to the members (see `renameGroup`). */
  readonly pendingDisplayName?: string | undefined;
}
