import { z } from 'zod';
import {
  createPrincipal,
  type DirectoryDependencies,
} from '#domain/directory.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import {
  referencesField,
  servicePrincipalJson,
  servicePrincipalSchema,
  userJson,
  userSchema,
} from '#http/scim.ts';
import { fields } from '#http/validation.ts';

/** `POST /Users`: other SCIM attributes (emails, name, …) are ignored. */
export const createUserOperation = defineOperation({
  operation: 'createUser',
  summary: 'Create a user (admins)',
  output: userSchema,
  input: z.object({
    userName: fields.string(),
    displayName: fields.optionalString(),
    active: z.boolean().optional(),
    groups: referencesField().optional(),
  }),
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    const user = await createPrincipal(deps, 'user', {
      userName: input.userName,
      displayName: input.displayName,
      active: input.active,
      groupIds: input.groups?.map((group) => group.value),
    });
    return userJson(user);
  },
});

/** `POST /ServicePrincipals`: the application id is generated unless given. */
export const createServicePrincipalOperation = defineOperation({
  operation: 'createServicePrincipal',
  summary: 'Create a service principal (admins)',
  output: servicePrincipalSchema,
  input: z.object({
    applicationId: fields.optionalString(),
    displayName: fields.optionalString(),
    active: z.boolean().optional(),
    groups: referencesField().optional(),
  }),
  run: async (input, { deps }: OperationContext<DirectoryDependencies>) => {
    const servicePrincipal = await createPrincipal(deps, 'service_principal', {
      applicationId: input.applicationId,
      displayName: input.displayName,
      active: input.active,
      groupIds: input.groups?.map((group) => group.value),
    });
    return servicePrincipalJson(servicePrincipal);
  },
});
