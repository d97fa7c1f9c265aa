import { z } from 'zod';
import {
  createOnBehalfOfToken,
  type TokenManagementDependencies,
} from '#domain/tokens.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { managedTokenInfoJson, managedTokenInfoSchema } from '#http/scim.ts';
import { fields } from '#http/validation.ts';

/**
 * Databricks `POST /api/2.0/token-management/on-behalf-of/tokens`: a token
 * for a service principal, by `application_id`. stagegate extension:
 * `user_name` instead gives a user a token, the only way a user gets a
 * first one (there is no interactive login).
 */
export const createOboTokenOperation = defineOperation({
  operation: 'createOboToken',
  summary: 'Create a token for a service principal or a user (admins)',
  output: z.object({
    token_value: z.string(),
    token_info: managedTokenInfoSchema,
  }),
  input: z.object({
    application_id: fields.optionalString(),
    user_name: fields.optionalString(),
    lifetime_seconds: fields.int64().optional(),
    comment: fields.optionalString(),
  }),
  run: async (
    input,
    { deps, principal }: OperationContext<TokenManagementDependencies>
  ) => {
    const created = await createOnBehalfOfToken(deps, principal, {
      applicationId: input.application_id,
      userName: input.user_name,
      lifetimeSeconds: input.lifetime_seconds,
      comment: input.comment,
    });
    return {
      token_value: created.tokenValue,
      token_info: managedTokenInfoJson(created.tokenInfo),
    };
  },
});
