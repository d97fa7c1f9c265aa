import type { ModelVersion } from '#domain/model-version.ts';
import type { Grant, RootPermissionLevel } from '#domain/permissions.ts';
import type { StoredPrincipal } from './identity-store.ts';
import type { ModelRecord } from './model-registry-store.ts';
import type { StoredSettings } from './transition-request-store.ts';

/** What the check of a request that names one model reads. */
export interface AccessQuery {
  /** The caller (as the authorizer resolved it), read as stored now. */
  readonly principalId: string;
  /** The model the request names, by its name or its id. */
  readonly model: { readonly name: string } | { readonly id: string };
  /** Whether the registry-wide grants can change the answer. */
  readonly rootGrants: boolean;
  /** Versions of that model the operation will read. */
  readonly versions: readonly number[];
  /**
   * Whether the operation needs the model's stage members
   * (`ModelRecord.stages`); without them the record has its stage bounds.
   */
  readonly stageMembers: boolean;
  /**
   * Whether the operation needs the model's transition-request settings
   * and the registry's policy. @default false
   */
  readonly settings?: boolean;
}

export interface AccessRead {
  readonly principal: StoredPrincipal | undefined;
  /** The model, only when it answers to the name or id asked for now. */
  readonly record: ModelRecord | undefined;
  /** `undefined` when not asked for, or not set yet (defaults apply). */
  readonly rootGrants: readonly Grant<RootPermissionLevel>[] | undefined;
  /**
   * Versions of the model read with it: those asked for, and the latest
   * ones of its stages where the store could read them in the same trip.
   */
  readonly versions: ReadonlyMap<number, ModelVersion>;
  /** The model's stored settings and the registry's policy, when asked for. */
  readonly settings?: StoredSettings | undefined;
}

/**
 * The reads behind one access check, together: the caller as stored now
 * (group, admin and deactivation changes apply on the next request), the
 * model, the registry-wide grants and the versions the operation reads,
 * each strongly consistent, in as few round trips as the store can (one,
 * once the store has seen the model).
 */
export interface AccessReads {
  read(query: AccessQuery): Promise<AccessRead>;
}
