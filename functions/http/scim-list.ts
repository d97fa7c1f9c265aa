import type {
  FilterOperator,
  GroupQuery,
  ListWindow,
  PrincipalFilter,
  PrincipalQuery,
} from '#domain/directory.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import type { PrincipalKind } from '#domain/principal.ts';

/**
 * SCIM list requests (RFC 7644 §3.4.2) as the directory's listings take
 * them: the filter subset we serve, parsed from its text, and the 1-based
 * `startIndex`/`count` window.
 */

/** SCIM `count`: its default and the most one page returns. */
export const scimListLimits = {
  defaultCount: 100,
  maxCount: 1000,
} as const;

/** A list request's query parameters, as the route validated them. */
export interface ScimListQuery {
  readonly filter?: string | undefined;
  readonly startIndex?: number | undefined;
  readonly count?: number | undefined;
}

export interface ScimFilter {
  /** The attribute as the caller may name it (canonical spelling). */
  readonly attribute: string;
  readonly operator: FilterOperator;
  readonly value: string;
}

/** The SCIM attributes a principal listing filters on, by kind. */
const PRINCIPAL_ATTRIBUTES: Record<
  PrincipalKind,
  Readonly<Record<string, PrincipalFilter['attribute']>>
> = {
  user: { userName: 'name', displayName: 'displayName' },
  service_principal: { applicationId: 'name', displayName: 'displayName' },
};

const GROUP_ATTRIBUTES = ['displayName'];

const FILTER_PATTERN =
  /^\s*([A-Za-z][A-Za-z0-9_.]*)\s+([A-Za-z]+)\s+"((?:[^"\\]|\\.)*)"\s*$/;

/** `GET /Users` or `/ServicePrincipals`: the listing it asks for. */
export function principalQuery(
  kind: PrincipalKind,
  input: ScimListQuery
): PrincipalQuery {
  const attributes = PRINCIPAL_ATTRIBUTES[kind];
  const filter = parseScimFilter(input.filter ?? '', Object.keys(attributes));
  const attribute = filter && attributes[filter.attribute];
  return {
    ...(filter && attribute
      ? {
          filter: {
            attribute,
            operator: filter.operator,
            value: filter.value,
          },
        }
      : {}),
    window: listWindow(input),
  };
}

/** `GET /Groups`: the listing it asks for. */
export function groupQuery(input: ScimListQuery): GroupQuery {
  const filter = parseScimFilter(input.filter ?? '', GROUP_ATTRIBUTES);
  return {
    ...(filter
      ? {
          filter: {
            attribute: 'displayName',
            operator: filter.operator,
            value: filter.value,
          },
        }
      : {}),
    window: listWindow(input),
  };
}

/**
 * Parses the SCIM filter subset we serve: `<attribute> eq|co|sw "<value>"`
 * on one of `attributes`. Attribute and operator names are
 * case-insensitive, as RFC 7644 says; `\"` and `\\` escape inside the
 * value. An empty filter is no filter.
 * @throws InvalidParameterValueError for anything else (other operators,
 *   `and`/`or`, unquoted values, other attributes).
 */
export function parseScimFilter(
  text: string,
  attributes: readonly string[]
): ScimFilter | undefined {
  if (text.trim() === '') return undefined;
  const match = FILTER_PATTERN.exec(text);
  const attribute = attributes.find(
    (name) => name.toLowerCase() === match?.[1]?.toLowerCase()
  );
  const operator = match?.[2]?.toLowerCase();
  if (
    !match ||
    !attribute ||
    (operator !== 'eq' && operator !== 'co' && operator !== 'sw')
  ) {
    throw new InvalidParameterValueError(
      `Unsupported filter '${text}'. Supported: <attribute> eq|co|sw "<value>" with attribute one of ${attributes.join(', ')}.`
    );
  }
  const value = (match[3] ?? '').replace(/\\(.)/g, '$1');
  return { attribute, operator, value };
}

/**
 * RFC 7644 §3.4.2.4: a `startIndex` below 1 is 1 and a negative `count` is
 * 0; we cap `count` at {@link scimListLimits.maxCount} (the RFC lets a
 * provider return fewer than asked, and `itemsPerPage` says how many).
 */
export function listWindow(input: ScimListQuery): ListWindow {
  const startIndex = Math.max(1, input.startIndex ?? 1);
  const count = Math.min(
    scimListLimits.maxCount,
    Math.max(0, input.count ?? scimListLimits.defaultCount)
  );
  return { startIndex, count };
}
