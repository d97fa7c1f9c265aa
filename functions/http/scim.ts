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

const reference = (description: string) =>
  z.object({
    value: z.string().meta({ description: 'The id.' }),
    display: z.string(),
    $ref: z.string().meta({ description }),
  });

const groupReferenceSchema = reference('`Groups/<id>`').meta({
  id: 'ScimGroupReference',
});

export const userSchema = z
  .object({
    schemas: z.array(z.literal(SCIM_SCHEMAS.user)),
    id: z.string(),
    userName: z.string(),
    displayName: z.string(),
    active: z.boolean(),
    emails: z
      .array(
        z.object({
          value: z.string(),
          primary: z.boolean(),
          type: z.literal('work'),
        })
      )
      .optional()
      .meta({ description: 'The user name, when it is an address.' }),
    groups: z.array(groupReferenceSchema),
  })
  .meta({ id: 'ScimUser' });

export const servicePrincipalSchema = z
  .object({
    schemas: z.array(z.literal(SCIM_SCHEMAS.servicePrincipal)),
    id: z.string(),
    applicationId: z.string(),
    displayName: z.string(),
    active: z.boolean(),
    groups: z.array(groupReferenceSchema),
  })
  .meta({ id: 'ScimServicePrincipal' });

/** A service principal shows as a user with its `applicationId` added. */
export const meSchema = userSchema
  .extend({ applicationId: z.string().optional() })
  .meta({ id: 'ScimMe' });

export const groupSchema = z
  .object({
    schemas: z.array(z.literal(SCIM_SCHEMAS.group)),
    id: z.string(),
    displayName: z.string(),
    members: z.array(reference('`Users/<id>` or `ServicePrincipals/<id>`')),
  })
  .meta({ id: 'ScimGroup' });

export function listResponseSchema<T extends z.ZodType>(item: T) {
  return z.object({
    schemas: z.array(z.literal(SCIM_SCHEMAS.listResponse)),
    totalResults: z.number().int(),
    startIndex: z.number().int().meta({ description: '1-based.' }),
    itemsPerPage: z.number().int(),
    Resources: z.array(item),
  });
}

export const managedTokenInfoSchema = z
  .object({
    token_id: z.string(),
    creation_time: z.number().int(),
    expiry_time: z.number().int(),
    comment: z.string(),
    created_by_id: z.union([z.number().int(), z.string()]),
    created_by_username: z.string(),
    owner_id: z.union([z.number().int(), z.string()]),
  })
  .meta({ id: 'ManagedTokenInfo' });

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
export function userJson(
  principal: DirectoryPrincipal
): z.infer<typeof userSchema> {
  return {
    schemas: [SCIM_SCHEMAS.user],
    id: principal.id,
    userName: principal.userName,
    displayName: principal.displayName,
    active: principal.active,
    ...(principal.userName.includes('@')
      ? {
          emails: [
            { value: principal.userName, primary: true, type: 'work' as const },
          ],
        }
      : {}),
    groups: principal.groups.map(groupRefJson),
  };
}

export function servicePrincipalJson(
  principal: DirectoryPrincipal
): z.infer<typeof servicePrincipalSchema> {
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
export function meJson(
  principal: DirectoryPrincipal
): z.infer<typeof meSchema> {
  return principal.kind === 'user'
    ? userJson(principal)
    : { ...userJson(principal), applicationId: principal.userName };
}

export function groupJson(view: GroupView): z.infer<typeof groupSchema> {
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

export function listResponseJson<T, R>(
  page: ListPage<T>,
  render: (item: T) => R
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
export function managedTokenInfoJson(
  info: ManagedTokenInfo
): z.infer<typeof managedTokenInfoSchema> {
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
