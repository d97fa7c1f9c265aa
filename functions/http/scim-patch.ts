import type { GroupPatch, PrincipalPatch } from '#domain/directory.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';

/**
 * SCIM PATCH requests (RFC 7644 §3.5.2) read into what they ask of the
 * directory: the net profile change and membership edits of a user,
 * service principal or group.
 */

/** One entry of a PatchOp request's `Operations`. */
export interface PatchOperation {
  readonly op: string;
  readonly path?: string | undefined;
  readonly value?: unknown;
}

type Op = 'add' | 'remove' | 'replace';

/** Membership edits in request order; the last edit of an id wins. */
class MembershipEdits {
  readonly #last = new Map<string, 'add' | 'remove'>();

  record(ids: readonly string[], edit: 'add' | 'remove') {
    for (const id of ids) {
      this.#last.delete(id);
      this.#last.set(id, edit);
    }
  }

  ids(edit: 'add' | 'remove'): string[] {
    return [...this.#last].filter(([, e]) => e === edit).map(([id]) => id);
  }
}

/**
 * Interprets the operations of a user or service principal PATCH:
 * `replace` (or `add`) of `active` and `displayName`, `add`/`remove` of
 * `groups` (value `[{value: groupId}]`, or `groups[value eq "<id>"]` to
 * remove one), and the path-less form whose value is an object of those
 * attributes. Operation and attribute names are case-insensitive; `active`
 * may be a boolean or "true"/"false" (Azure AD sends strings).
 * @throws InvalidParameterValueError for anything else.
 */
export function interpretPrincipalPatch(
  operations: readonly PatchOperation[]
): PrincipalPatch {
  let displayName: string | undefined;
  let active: boolean | undefined;
  const groups = new MembershipEdits();
  const apply = (op: Op, path: string, value: unknown) => {
    const target = path.toLowerCase();
    if (target === 'active' && op !== 'remove') {
      active = booleanValue(value, path);
    } else if (target === 'displayname' && op !== 'remove') {
      displayName = stringValue(value, path);
    } else if (target === 'groups' && op !== 'replace') {
      groups.record(referenceIds(value, path), op);
    } else {
      const selected = selectedId(path, 'groups');
      if (selected === undefined || op !== 'remove') {
        throw unsupportedPatch(op, path);
      }
      groups.record([selected], 'remove');
    }
  };
  forEachOperation(operations, apply);
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    ...(active !== undefined ? { active } : {}),
    addGroupIds: groups.ids('add'),
    removeGroupIds: groups.ids('remove'),
  };
}

/**
 * Interprets the operations of a group PATCH: `replace` (or `add`) of
 * `displayName`, `add`/`remove` of `members` (value `[{value: id}]`, or
 * `members[value eq "<id>"]` to remove one), and the path-less object form.
 * @throws InvalidParameterValueError for anything else.
 */
export function interpretGroupPatch(
  operations: readonly PatchOperation[]
): GroupPatch {
  let displayName: string | undefined;
  const members = new MembershipEdits();
  const apply = (op: Op, path: string, value: unknown) => {
    const target = path.toLowerCase();
    if (target === 'displayname' && op !== 'remove') {
      displayName = stringValue(value, path);
    } else if (target === 'members' && op !== 'replace') {
      members.record(referenceIds(value, path), op);
    } else {
      const selected = selectedId(path, 'members');
      if (selected === undefined || op !== 'remove') {
        throw unsupportedPatch(op, path);
      }
      members.record([selected], 'remove');
    }
  };
  forEachOperation(operations, apply);
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    addMemberIds: members.ids('add'),
    removeMemberIds: members.ids('remove'),
  };
}

function forEachOperation(
  operations: readonly PatchOperation[],
  apply: (op: Op, path: string, value: unknown) => void
) {
  if (operations.length === 0) {
    throw new InvalidParameterValueError(
      'A PATCH request needs at least one operation in Operations.'
    );
  }
  for (const operation of operations) {
    const op = operation.op.toLowerCase();
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw new InvalidParameterValueError(
        `Unsupported patch operation '${operation.op}': use add, remove or replace.`
      );
    }
    const path = operation.path?.trim() ?? '';
    if (path !== '') {
      apply(op, path, operation.value);
      continue;
    }
    // RFC 7644 §3.5.2: without a path, the value is an object whose
    // attributes are each the target of the operation.
    if (op === 'remove' || !isRecord(operation.value)) {
      throw new InvalidParameterValueError(
        `A patch operation '${op}' without a path needs an object value.`
      );
    }
    for (const [attribute, value] of Object.entries(operation.value)) {
      if (attribute === 'schemas') continue;
      apply(op, attribute, value);
    }
  }
}

const SELECTOR_PATTERN = /^(\w+)\[\s*value\s+eq\s+"((?:[^"\\]|\\.)*)"\s*\]$/i;

/** The id of `groups[value eq "<id>"]`, when `path` is that selector. */
function selectedId(path: string, attribute: string): string | undefined {
  const match = SELECTOR_PATTERN.exec(path);
  if (!match || match[1]?.toLowerCase() !== attribute) return undefined;
  return (match[2] ?? '').replace(/\\(.)/g, '$1');
}

/** `[{value: id}, …]`: SCIM's multi-valued references. */
function referenceIds(value: unknown, path: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const id = isRecord(item) ? item.value : undefined;
    if (typeof id !== 'string' || id === '') {
      throw new InvalidParameterValueError(
        `Invalid value for '${path}': expected a list of {"value": "<id>"}.`
      );
    }
    return id;
  });
}

function booleanValue(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lowered = value.toLowerCase();
    if (lowered === 'true') return true;
    if (lowered === 'false') return false;
  }
  throw new InvalidParameterValueError(
    `Invalid value for '${path}': expected true or false.`
  );
}

function stringValue(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  throw new InvalidParameterValueError(
    `Invalid value for '${path}': expected a string.`
  );
}

function unsupportedPatch(op: string, path: string) {
  return new InvalidParameterValueError(
    `Unsupported patch operation '${op}' on path '${path}'.`
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
