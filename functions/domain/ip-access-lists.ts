import type { IpAccessStore } from '#ports/ip-access-store.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from './errors.ts';
import {
  type IpAccessList,
  type IpAccessSettings,
  type IpListType,
  isAddressAllowed,
  MAX_IP_ADDRESSES,
  parseIpEntry,
} from './ip-access.ts';
import type { Principal } from './principal.ts';
import { withOptimisticRetry } from './retry.ts';

const LABEL_LENGTH = 256;

export interface IpAccessDependencies {
  readonly ipAccess: IpAccessStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly newId: () => string;
  /** Waits between optimistic retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a create, replace or update may set. */
export interface IpListFields {
  readonly label?: string | undefined;
  readonly listType?: string | undefined;
  readonly ipAddresses?: readonly string[] | undefined;
  readonly enabled?: boolean | undefined;
}

function validListType(value: string | undefined): IpListType {
  if (value === 'ALLOW' || value === 'BLOCK') return value;
  throw new InvalidParameterValueError(
    `Invalid list_type '${value ?? ''}': it is ALLOW or BLOCK.`
  );
}

function validLabel(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw new InvalidParameterValueError(
      "Missing value for required parameter 'label'."
    );
  }
  if (value.length > LABEL_LENGTH) {
    throw new InvalidParameterValueError(
      `label had length ${value.length}, which exceeded length limit of ${LABEL_LENGTH}.`
    );
  }
  return value;
}

function validAddresses(values: readonly string[]): string[] {
  for (const value of values) parseIpEntry(value);
  return [...new Set(values.map((value) => value.trim()))];
}

/**
 * Applies one change to the settings, refusing what Databricks refuses:
 * labels must be unique, at most {@link MAX_IP_ADDRESSES} entries in all,
 * and — the self-lock-out guard — no change that would keep the caller's
 * own address out once enforced.
 */
async function change<T>(
  deps: IpAccessDependencies,
  callerIp: string,
  apply: (settings: IpAccessSettings) => {
    next: Omit<IpAccessSettings, 'revision'>;
    result: T;
  }
): Promise<T> {
  return withOptimisticRetry(
    deps,
    async () => {
      const current = await deps.ipAccess.getIpAccess();
      const { next, result } = apply(current);
      const labels = next.lists.map((list) => list.label.toLowerCase());
      if (new Set(labels).size !== labels.length) {
        throw new InvalidParameterValueError(
          'An IP access list with this label already exists.'
        );
      }
      const count = next.lists.reduce(
        (sum, list) => sum + list.ipAddresses.length,
        0
      );
      if (count > MAX_IP_ADDRESSES) {
        throw new InvalidParameterValueError(
          `IP access lists hold at most ${MAX_IP_ADDRESSES} addresses and ranges in all; this change makes ${count}.`
        );
      }
      if (!isAddressAllowed(next, callerIp)) {
        throw new InvalidParameterValueError(
          `This change would block your own address (${callerIp}): refused, so that you keep access. Allow your address first, or make the change from an address that stays allowed.`
        );
      }
      const written = await deps.ipAccess.putIpAccess({
        ...next,
        revision: current.revision,
      });
      if (!written) {
        throw new ConcurrentModificationError('IP access lists changed.');
      }
      return result;
    },
    { maxAttempts: 5, what: 'the IP access lists' }
  );
}

function find(
  settings: IpAccessSettings,
  listId: string
): { list: IpAccessList; index: number } {
  const index = settings.lists.findIndex((list) => list.listId === listId);
  const list = settings.lists[index];
  if (!list) {
    throw new ResourceDoesNotExistError(
      `IP access list with id ${listId} not found.`
    );
  }
  return { list, index };
}

export async function createIpAccessList(
  deps: IpAccessDependencies,
  caller: Principal,
  callerIp: string,
  fields: IpListFields
): Promise<IpAccessList> {
  const label = validLabel(fields.label);
  const listType = validListType(fields.listType);
  const ipAddresses = validAddresses(fields.ipAddresses ?? []);
  return change(deps, callerIp, (settings) => {
    const now = deps.now();
    const list: IpAccessList = {
      listId: deps.newId(),
      label,
      listType,
      ipAddresses,
      enabled: true,
      createdAt: now,
      createdBy: caller.id,
      updatedAt: now,
      updatedBy: caller.id,
    };
    return {
      next: { enabled: settings.enabled, lists: [...settings.lists, list] },
      result: list,
    };
  });
}

export async function listIpAccessLists(
  deps: Pick<IpAccessDependencies, 'ipAccess'>
): Promise<readonly IpAccessList[]> {
  return (await deps.ipAccess.getIpAccess()).lists;
}

export async function getIpAccessList(
  deps: Pick<IpAccessDependencies, 'ipAccess'>,
  listId: string
): Promise<IpAccessList> {
  return find(await deps.ipAccess.getIpAccess(), listId).list;
}

/**
 * PUT (`replace`: every field given) or PATCH (`update`: the fields
 * given) of one list.
 */
export async function changeIpAccessList(
  deps: IpAccessDependencies,
  caller: Principal,
  callerIp: string,
  listId: string,
  fields: IpListFields,
  mode: 'replace' | 'update'
): Promise<IpAccessList> {
  if (mode === 'replace' && fields.enabled === undefined) {
    throw new InvalidParameterValueError(
      "Missing value for required parameter 'enabled'."
    );
  }
  const label =
    mode === 'replace' || fields.label !== undefined
      ? validLabel(fields.label)
      : undefined;
  const listType =
    mode === 'replace' || fields.listType !== undefined
      ? validListType(fields.listType)
      : undefined;
  const ipAddresses =
    fields.ipAddresses === undefined
      ? mode === 'replace'
        ? []
        : undefined
      : validAddresses(fields.ipAddresses);
  return change(deps, callerIp, (settings) => {
    const { list, index } = find(settings, listId);
    const changed: IpAccessList = {
      ...list,
      ...(label === undefined ? {} : { label }),
      ...(listType === undefined ? {} : { listType }),
      ...(ipAddresses === undefined ? {} : { ipAddresses }),
      ...(fields.enabled === undefined ? {} : { enabled: fields.enabled }),
      updatedAt: deps.now(),
      updatedBy: caller.id,
    };
    const lists = [...settings.lists];
    lists[index] = changed;
    return { next: { enabled: settings.enabled, lists }, result: changed };
  });
}

export async function deleteIpAccessList(
  deps: IpAccessDependencies,
  callerIp: string,
  listId: string
): Promise<void> {
  await change(deps, callerIp, (settings) => {
    find(settings, listId);
    return {
      next: {
        enabled: settings.enabled,
        lists: settings.lists.filter((list) => list.listId !== listId),
      },
      result: undefined,
    };
  });
}

/** The workspace configuration keys this registry knows. */
export const WORKSPACE_CONF_KEYS = ['enableIpAccessLists'] as const;

/**
 * `GET /api/2.0/workspace-conf?keys=a,b`: the values of known keys, as
 * strings (Databricks' shape).
 * @throws InvalidParameterValueError for an unknown key.
 */
export async function getWorkspaceConf(
  deps: Pick<IpAccessDependencies, 'ipAccess'>,
  keys: readonly string[]
): Promise<Record<string, string>> {
  for (const key of keys) knownKey(key);
  const settings = await deps.ipAccess.getIpAccess();
  return Object.fromEntries(keys.map((key) => [key, String(settings.enabled)]));
}

/**
 * `PATCH /api/2.0/workspace-conf {"enableIpAccessLists": "true"}`; turning
 * enforcement on is refused when it would block the caller.
 */
export async function setWorkspaceConf(
  deps: IpAccessDependencies,
  callerIp: string,
  values: Readonly<Record<string, unknown>>
): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) {
    throw new InvalidParameterValueError(
      'Give at least one configuration key, e.g. {"enableIpAccessLists": "true"}.'
    );
  }
  let enabled: boolean | undefined;
  for (const [key, value] of entries) {
    knownKey(key);
    if (value === true || value === 'true') enabled = true;
    else if (value === false || value === 'false') enabled = false;
    else {
      throw new InvalidParameterValueError(
        `Invalid value for ${key}: it is "true" or "false".`
      );
    }
  }
  await change(deps, callerIp, (settings) => ({
    next: { enabled: enabled ?? settings.enabled, lists: settings.lists },
    result: undefined,
  }));
}

function knownKey(key: string): void {
  if (!(WORKSPACE_CONF_KEYS as readonly string[]).includes(key)) {
    throw new InvalidParameterValueError(
      `Unsupported workspace configuration key '${key.slice(0, 64)}': this registry knows ${WORKSPACE_CONF_KEYS.join(', ')}.`
    );
  }
}
