import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DynamoDBEmailLedger } from '#adapters/dynamodb/email-ledger.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import {
  type EmailDecisionDependencies,
  openEmailLink,
  useEmailLink,
} from '#domain/email/email-decisions.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  type ApiHandler,
  type ApiResult,
  apiObservability,
  mlflowErrors,
} from '#http/api-handler.ts';
import { tokenFromHeader } from '#http/authorizer.ts';
import { acceptsHtml, pageResponse } from '#http/email-pages.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from '../api-root.ts';

/**
 * `GET` and `POST /callbacks/email/decision`: the page behind the links of
 * approval e-mails. Public routes (no authorizer): the signed link is the
 * credential, checked by the use case; a registry token sent along must
 * be the link's approver's. What it decides, it decides through the
 * transition-request use cases, as the API does.
 */
export const emailCallbacksRoot = defineRoot({
  // Decides requests as the API's transition-requests group does
  // (requests, activities, outbox; starts workflows), reads principals
  // and tokens, and marks links used.
  needs: {
    table: registryTableNeed,
    transitionRequestWorkflow: 'request',
    emailLinkKey: true,
  },
  wire: ({ table, workflow, linkKey }): EmailDecisionDependencies => ({
    ...requestDependencies({ table, workflow }),
    identities: new DynamoDBIdentityStore(table),
    ledger: new DynamoDBEmailLedger(table),
    linkKey,
  }),
  build: (deps: EmailDecisionDependencies): ApiHandler =>
    middy<APIGatewayProxyEventV2, ApiResult, Error, Context>()
      .use(apiObservability())
      .use(mlflowErrors())
      .handler(async (event) => {
        const html = acceptsHtml(event.headers?.accept);
        const caller = {
          token: tokenFromHeader(event.headers?.authorization),
        };
        if (event.requestContext.http.method === 'GET') {
          const link = new URLSearchParams(event.rawQueryString).get('link');
          const page = await openEmailLink(deps, link ?? '', caller);
          return pageResponse(page, { html, link: link ?? undefined });
        }
        const form = formOf(event);
        const page = await useEmailLink(deps, form.link, caller, {
          comment: form.comment,
          archiveExistingVersions: form.archiveExistingVersions,
        });
        return pageResponse(page, { html });
      }),
});

/** The confirmation form, posted by the page (or as JSON by a client). */
function formOf(event: APIGatewayProxyEventV2): {
  link: string;
  comment: string | undefined;
  archiveExistingVersions: boolean;
} {
  const text =
    event.body === undefined
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const type = (event.headers?.['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  let fields: Record<string, unknown>;
  if (type === 'application/x-www-form-urlencoded') {
    fields = Object.fromEntries(new URLSearchParams(text));
  } else if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new InvalidParameterValueError('The body is not valid JSON.');
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed)
    ) {
      throw new InvalidParameterValueError('The body must be a JSON object.');
    }
    fields = parsed as Record<string, unknown>;
  } else {
    throw new InvalidParameterValueError(
      'The body must be a form (application/x-www-form-urlencoded) or JSON.'
    );
  }
  const { link, comment, archive_existing_versions: archive } = fields;
  if (typeof link !== 'string') {
    throw new InvalidParameterValueError('link must be a string.');
  }
  if (comment !== undefined && typeof comment !== 'string') {
    throw new InvalidParameterValueError('comment must be a string.');
  }
  if (
    archive !== undefined &&
    typeof archive !== 'boolean' &&
    archive !== 'true' &&
    archive !== 'false'
  ) {
    throw new InvalidParameterValueError(
      'archive_existing_versions must be true or false.'
    );
  }
  return {
    link,
    comment,
    archiveExistingVersions: archive === true || archive === 'true',
  };
}
