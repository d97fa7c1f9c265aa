import { z } from 'zod';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { OAUTH_SCOPE, type ServicePrincipalSecret } from '#domain/oauth.ts';
import {
  type AccessTokenDependencies,
  createServicePrincipalSecret,
  deleteServicePrincipalSecret,
  issueAccessToken,
  listServicePrincipalSecrets,
  OAuthError,
  type OAuthSecretDependencies,
} from '#domain/oauth-clients.ts';
import {
  defineOperation,
  type OperationContext,
  RawResponse,
} from '#http/api-handler.ts';
import { responseJson } from '#http/json-text.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

export type OAuthDependencies = OAuthSecretDependencies &
  AccessTokenDependencies;

type Context = OperationContext<OAuthDependencies>;

/**
 * The registry's OIDC issuer, from how the caller reached it (API Gateway
 * sets `x-forwarded-proto`; the local gateway too).
 */
function issuerOf(request: Context['request']): string {
  const proto = request.header('x-forwarded-proto') ?? 'https';
  const host = request.header('host') ?? 'localhost';
  return `${proto}://${host}/oidc`;
}

/**
 * `GET /oidc/.well-known/oauth-authorization-server`: RFC 8414 metadata,
 * which the Databricks SDK reads for `token_endpoint` (it also requires an
 * `authorization_endpoint`, named here though only machine-to-machine
 * grants are served).
 */
export const getOAuthAuthorizationServerOperation = defineOperation({
  operation: 'getOAuthAuthorizationServer',
  summary: "The OAuth authorization server's metadata (RFC 8414)",
  output: z.object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
  }),
  input: z.object({}),
  run: async (_input, { request }: Context) => {
    const issuer = issuerOf(request);
    return {
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
      ],
      scopes_supported: [OAUTH_SCOPE],
      response_types_supported: ['token'],
    };
  },
});

/** `Basic base64(client_id:client_secret)`, as OAuth clients send it. */
function basicCredentials(
  header: string | undefined
): { clientId: string; clientSecret: string } | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

function oauthResponse(statusCode: number, body: unknown): RawResponse {
  return new RawResponse({
    statusCode,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    },
    body: responseJson(body),
  });
}

/**
 * `POST /oidc/v1/token`, the client-credentials grant (RFC 6749 4.4): a
 * form-encoded body, the client authenticated by HTTP Basic or by
 * `client_id`/`client_secret` in the form. Errors are OAuth's
 * (`error`, `error_description`, what OAuth clients read), with the
 * registry's `error_code` and `message` beside them.
 */
export const issueOAuthTokenOperation = defineOperation({
  operation: 'issueOAuthToken',
  summary:
    'Issue an access token for client credentials (form-encoded, RFC 6749 4.4)',
  output: z.object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  }),
  input: z.object({}),
  run: async (_input, { deps, request, body }: Context) => {
    const form = new URLSearchParams(body().toString('utf8'));
    for (const [name, value] of form) {
      if (
        name.length > limits.fieldNameLength ||
        value.length > limits.secretLength
      ) {
        throw new InvalidParameterValueError(
          `Form field '${name.slice(0, 64)}' is longer than ${limits.secretLength} characters.`
        );
      }
    }
    const basic = basicCredentials(request.header('authorization'));
    try {
      const issued = await issueAccessToken(deps, {
        grantType: form.get('grant_type') ?? undefined,
        scope: form.get('scope') ?? undefined,
        clientId: basic?.clientId ?? form.get('client_id') ?? undefined,
        clientSecret:
          basic?.clientSecret ?? form.get('client_secret') ?? undefined,
        issuer: issuerOf(request),
      });
      return oauthResponse(200, {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        scope: issued.scope,
      });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return oauthResponse(error.status, {
        error: error.error,
        error_description: error.message,
        error_code:
          error.status === 401 ? 'UNAUTHENTICATED' : 'INVALID_PARAMETER_VALUE',
        message: error.message,
      });
    }
  },
});

/** Databricks' `SecretInfo` (times as RFC 3339 strings). */
const secretInfoSchema = z
  .object({
    id: z.string(),
    secret_hash: z.string(),
    status: z.literal('ACTIVE'),
    create_time: z.string(),
    update_time: z.string(),
    expire_time: z.string(),
  })
  .meta({ id: 'SecretInfo' });

function secretInfoJson(
  secret: ServicePrincipalSecret
): z.infer<typeof secretInfoSchema> {
  return {
    id: secret.id,
    secret_hash: secret.secretHash,
    status: secret.status,
    create_time: new Date(secret.createTime).toISOString(),
    update_time: new Date(secret.updateTime).toISOString(),
    expire_time: new Date(secret.expireTime).toISOString(),
  };
}

/** `POST …/servicePrincipals/{service_principal_id}/credentials/secrets`. */
export const createServicePrincipalSecretOperation = defineOperation({
  operation: 'createServicePrincipalSecret',
  summary: 'Create an OAuth secret of a service principal (shown once)',
  output: secretInfoSchema.extend({ secret: z.string() }),
  input: z.object({
    service_principal_id: fields.string(),
    lifetime: z.union([z.string(), z.number()]).optional(),
  }),
  run: async (input, { deps }: Context) => {
    const created = await createServicePrincipalSecret(
      deps,
      input.service_principal_id,
      input.lifetime
    );
    return { ...secretInfoJson(created.info), secret: created.secret };
  },
});

/** `GET …/credentials/secrets`: the secrets, without their values. */
export const listServicePrincipalSecretsOperation = defineOperation({
  operation: 'listServicePrincipalSecrets',
  summary: "List a service principal's OAuth secrets, without their values",
  output: z.object({ secrets: z.array(secretInfoSchema).optional() }),
  input: z.object({
    service_principal_id: fields.string(),
    page_size: fields.int64().optional(),
    page_token: fields.optionalString(),
  }),
  run: async (input, { deps }: Context) => {
    const secrets = await listServicePrincipalSecrets(
      deps,
      input.service_principal_id
    );
    return secrets.length === 0 ? {} : { secrets: secrets.map(secretInfoJson) };
  },
});

/** `DELETE …/credentials/secrets/{secret_id}`. */
export const deleteServicePrincipalSecretOperation = defineOperation({
  operation: 'deleteServicePrincipalSecret',
  summary: "Delete a service principal's OAuth secret",
  output: emptySchema,
  input: z.object({
    service_principal_id: fields.string(),
    secret_id: fields.string(),
  }),
  run: async (input, { deps }: Context) => {
    await deleteServicePrincipalSecret(
      deps,
      input.service_principal_id,
      input.secret_id
    );
    return {};
  },
});
