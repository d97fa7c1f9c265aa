import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { isWellFormed } from '#domain/text.ts';

/**
 * What a string field may hold, besides well-formed Unicode (which every
 * string must be: DynamoDB Local cannot read back an item with a lone
 * surrogate in a map key, and clients cannot print one).
 *
 * - `identifier`: names, keys, ids, URLs, secrets, enumerations. No
 *   control character at all (C0, DEL): they end up in keys, paths,
 *   headers and log lines. MLflow refuses them in model names; we refuse
 *   them in every name-like field.
 * - `text`: descriptions, comments, tag values, filters and any field the
 *   route does not know. Tab, line feed and carriage return are kept
 *   (MLflow stores multi-line descriptions); NUL and the other C0
 *   controls are refused.
 */
export type FieldKind = 'identifier' | 'text';

export interface FieldRule {
  readonly kind: FieldKind;
  readonly maxLength: number;
  /** An empty value can only be a mistake (and is no valid key part). */
  readonly nonEmpty?: boolean;
}

const identifier = (maxLength: number): FieldRule => ({
  kind: 'identifier',
  maxLength,
});
const text = (maxLength: number): FieldRule => ({ kind: 'text', maxLength });
const id: FieldRule = {
  kind: 'identifier',
  maxLength: limits.idLength,
  nonEmpty: true,
};
const term = identifier(limits.termLength);
const principalName = identifier(limits.principalNameLength);
const modelName = identifier(limits.modelNameLength);
const secret = identifier(limits.secretLength);

/**
 * The rule of every field of every route, by field name. A string inside
 * a list takes its list's rule; `parent.child` entries take precedence
 * over `child` (SCIM's `members[].value` is an id, a tag's `value` text).
 * Fields not listed are `defaultRule`.
 */
export const fieldRules: Readonly<Record<string, FieldRule>> = {
  name: modelName,
  new_name: modelName,
  model_name: modelName,
  key: identifier(limits.tagKeyLength),
  value: text(limits.tagValueLength),
  alias: identifier(limits.aliasLength),
  description: text(limits.descriptionLength),
  comment: text(limits.commentLength),
  filter: text(limits.filterLength),
  source: identifier(limits.sourceLength),
  run_id: identifier(limits.runIdLength),
  run_link: identifier(limits.runLinkLength),
  page_token: identifier(limits.pageTokenLength),
  path: identifier(limits.artifactPathLength),
  proxy: identifier(limits.artifactPathLength),
  url: identifier(limits.urlLength),
  workspace_url: identifier(limits.urlLength),
  secret,
  authorization: secret,
  access_token: secret,
  id,
  token_id: id,
  registered_model_id: id,
  upload_id: id,
  service_principal_id: id,
  secret_id: id,
  ip_access_list_id: id,
  request_id: identifier(limits.idLength),
  created_by_id: identifier(limits.idLength),
  job_id: identifier(limits.idLength),
  'members.value': id,
  'groups.value': id,
  // A SCIM PATCH's `value` may be a list of `{value: id}` references.
  'value.value': id,
  creator: principalName,
  user_name: principalName,
  group_name: principalName,
  service_principal_name: principalName,
  created_by_username: principalName,
  userName: principalName,
  applicationId: principalName,
  application_id: principalName,
  displayName: principalName,
  version: term,
  stage: term,
  stages: term,
  separation_of_duties_stages: term,
  status: term,
  events: term,
  event: term,
  permission_level: term,
  order_by: term,
  sha256: term,
  etag: term,
  op: term,
  schemas: term,
  attributes: term,
  excludedAttributes: term,
  sortBy: term,
  sortOrder: term,
  // IP access lists and workspace settings.
  label: principalName,
  list_type: term,
  ip_addresses: identifier(limits.ipAddressLength),
  keys: term,
  enableIpAccessLists: term,
  lifetime: term,
};

export const defaultRule: FieldRule = text(limits.stringLength);

/** Field names themselves (object keys anywhere in the input). */
const fieldNameRule: FieldRule = identifier(limits.fieldNameLength);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what these find
const IDENTIFIER_FORBIDDEN = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what these find
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** A container still to walk, and where it sits in the input. */
interface Container {
  readonly value: object;
  readonly depth: number;
  /** The field a list's strings belong to (its own or its parent's). */
  readonly field: string | undefined;
  readonly parentField: string | undefined;
  /** Built only for a message: most inputs are never refused. */
  readonly path: () => string;
}

/**
 * Checks a request's whole input before anything reads it: every string
 * (values and field names, known fields or not, from the query string,
 * the body or the path) against its field's rule, and the nesting depth.
 * Iterative, so no input is deep enough to exhaust the stack here, and
 * linear in the input's size.
 * @throws InvalidParameterValueError naming the field and the limit; the
 *   value itself is never quoted (it may be a secret).
 */
export function checkInput(input: Record<string, unknown>): void {
  const pending: Container[] = [
    {
      value: input,
      depth: 1,
      field: undefined,
      parentField: undefined,
      path: () => '',
    },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const container = next;
    if (container.depth > limits.jsonDepth) {
      throw new InvalidParameterValueError(
        `Invalid value for parameter '${container.path()}': the request nests more than ${limits.jsonDepth} levels deep, the JSON depth limit.`
      );
    }
    if (Array.isArray(container.value)) {
      const rule = ruleFor(container.field, container.parentField);
      const items: unknown[] = container.value;
      for (let index = 0; index < items.length; index += 1) {
        const item = items[index];
        if (typeof item === 'string') {
          checkString(item, rule, container, index);
        } else if (typeof item === 'object' && item !== null) {
          pending.push(
            child(
              container,
              item,
              index,
              container.field,
              container.parentField
            )
          );
        }
      }
      continue;
    }
    for (const [name, item] of Object.entries(container.value)) {
      checkString(name, fieldNameRule, container, name, 'name of parameter');
      if (typeof item === 'string') {
        checkString(item, ruleFor(name, container.field), container, name);
      } else if (typeof item === 'object' && item !== null) {
        pending.push(child(container, item, name, name, container.field));
      }
    }
  }
}

function child(
  parent: Container,
  value: object,
  segment: string | number,
  field: string | undefined,
  parentField: string | undefined
): Container {
  return {
    value,
    depth: parent.depth + 1,
    field,
    parentField,
    path: () => join(parent.path(), String(segment)),
  };
}

function ruleFor(
  field: string | undefined,
  parentField: string | undefined
): FieldRule {
  if (field === undefined) return defaultRule;
  return (
    (parentField === undefined
      ? undefined
      : fieldRules[`${parentField}.${field}`]) ??
    fieldRules[field] ??
    defaultRule
  );
}

function checkString(
  value: string,
  rule: FieldRule,
  container: Container,
  segment: string | number,
  what = 'value for parameter'
): void {
  const reason = refusalOf(value, rule);
  if (reason === undefined) return;
  const path = join(container.path(), String(segment));
  throw new InvalidParameterValueError(
    reason === EMPTY
      ? `Missing value for required parameter '${path}': it must not be empty.`
      : `Invalid ${what} '${path}': ${reason}.`
  );
}

const EMPTY = 'empty';

/** Why `value` breaks `rule`, or undefined when it does not. */
function refusalOf(value: string, rule: FieldRule): string | undefined {
  if (value.length > rule.maxLength) {
    return `it had length ${value.length}, which exceeded length limit of ${rule.maxLength}`;
  }
  if (rule.nonEmpty && value === '') return EMPTY;
  if (!isWellFormed(value)) {
    return 'it is not well-formed Unicode (it holds a lone surrogate)';
  }
  const forbidden =
    rule.kind === 'identifier' ? IDENTIFIER_FORBIDDEN : TEXT_FORBIDDEN;
  const control = forbidden.exec(value)?.[0];
  if (control === undefined) return undefined;
  const code = control.charCodeAt(0).toString(16).toUpperCase();
  return `it contains the control character U+${code.padStart(4, '0')}${
    rule.kind === 'text'
      ? ' (only tab, line feed and carriage return are allowed)'
      : ''
  }`;
}

function join(path: string, segment: string): string {
  return path === '' ? segment : `${path}.${segment}`;
}
