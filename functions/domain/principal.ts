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
}

/** The bootstrap admin that `npm start` (or the deploy-time script) creates. */
export const BOOTSTRAP_ADMIN: Principal = {
  id: '1',
  userName: 'admin',
  kind: 'user',
  isAdmin: true,
  groups: ['admins'],
};
