import { z } from 'zod';
import type { GroupView, ListPage } from '#domain/directory.ts';
import type { DirectoryPrincipal, GroupRef } from '#domain/principal.ts';
import type { ManagedTokenInfo } from '#domain/tokens.ts';
import { fields } from './validation.ts';

/**
 * SCIM 2.0 JSON shapes as Databricks' workspace SCIM API
 * (`/api/2.0/preview/scim/v2`) returns them, and the request pieces its
 * operations share. Errors keep the registry's `{error_code, message}`.
 */
export const SCIM_SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  servicePrincipal: 'urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
} as const;

function groupRefJson(group: GroupRef) {
  return {
    value: group.id,
    display: group.displayName,
    $ref: `Groups/${group.id}`,
  };
}

/**
 * A user. `emails` holds the user name when it is an address, as
 * Databricks' user names are.
 */
export function userJson(principal: DirectoryPrincipal) {
  return {
    schemas: [SCIM_SCHEMAS.user],
    id: principal.id,
    userName: principal.userName,
    displayName: principal.displayName,
    active: principal.active,
    ...(principal.userName.includes('@')
      ? {
          emails: [{ value: principal.userName, primary: true, type: 'work' }],
        }
      : {}),
    groups: principal.groups.map(groupRefJson),
  };
}

export function servicePrincipalJson(principal: DirectoryPrincipal) {
  return {
    schemas: [SCIM_SCHEMAS.servicePrincipal],
    id: principal.id,
    applicationId: principal.userName,
    displayName: principal.displayName,
    active: principal.active,
    groups: principal.groups.map(groupRefJson),
  };
}

/**
 * `GET /Me`: the caller as a User. A service principal is shown with its
 * application id as `userName` (what clients read from `me()`), plus its
 * `applicationId`.
 */
export function meJson(principal: DirectoryPrincipal) {
  return principal.kind === 'user'
    ? userJson(principal)
    : { ...userJson(principal), applicationId: principal.userName };
}

export function principalJson(principal: DirectoryPrincipal) {
  return principal.kind === 'user'
    ? userJson(principal)
    : servicePrincipalJson(principal);
}

export function groupJson(view: GroupView) {
  return {
    schemas: [SCIM_SCHEMAS.group],
    id: view.group.id,
    displayName: view.group.displayName,
    members: view.members.map((member) => ({
      value: member.id,
      display: member.displayName,
      $ref: `${member.kind === 'user' ? 'Users' : 'ServicePrincipals'}/${member.id}`,
    })),
  };
}

export function listResponseJson<T>(
  page: ListPage<T>,
  render: (item: T) => unknown
) {
  return {
    schemas: [SCIM_SCHEMAS.listResponse],
    totalResults: page.totalResults,
    startIndex: page.startIndex,
    itemsPerPage: page.items.length,
    Resources: page.items.map(render),
  };
}

/**
 * Databricks' admin `token_info`. Its ids are int64 numbers; ours are
 * decimal strings below 2^53 (see `newDirectoryId`), sent as numbers when
 * they are such, as strings otherwise.
 */
export function managedTokenInfoJson(info: ManagedTokenInfo) {
  return {
    token_id: info.tokenId,
    creation_time: info.creationTime,
    expiry_time: info.expiryTime,
    comment: info.comment,
    created_by_id: numericId(info.createdById),
    created_by_username: info.createdByUsername,
    owner_id: numericId(info.ownerId),
  };
}

function numericId(id: string): number | string {
  const value = Number(id);
  return /^\d+$/.test(id) && Number.isSafeInteger(value) ? value : id;
}

/** `[{value: id}]`: SCIM's multi-valued references in request bodies. */
export const referencesField = () =>
  z.array(z.object({ value: z.string().min(1) }));

/**
 * A list request's query. `attributes`, `excludedAttributes`, `sortBy` and
 * `sortOrder` are accepted and ignored: resources come whole, in name
 * order.
 */
export const listQuery = z.object({
  filter: fields.optionalString(),
  startIndex: fields.int64().optional(),
  count: fields.int64().optional(),
  attributes: fields.optionalString(),
  excludedAttributes: fields.optionalString(),
  sortBy: fields.optionalString(),
  sortOrder: fields.optionalString(),
});

/** The `{id}` of `/Users/{id}`, `/Groups/{id}`, `/ServicePrincipals/{id}`. */
export const resourceId = z.object({ id: z.string().min(1) });

/** A PatchOp request (the `schemas` entry is optional, but must be right). */
export const patchRequest = resourceId.extend({
  schemas: z
    .array(z.string())
    .refine((schemas) => schemas.includes(SCIM_SCHEMAS.patchOp))
    .optional(),
  Operations: z.array(
    z.object({
      op: z.string(),
      path: z.string().optional(),
      value: z.unknown().optional(),
    })
  ),
});
