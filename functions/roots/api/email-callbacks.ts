import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
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
  type OperationSpec,
} from '#http/api-handler.ts';
import { tokenFromHeader } from '#http/authorizer.ts';
import { acceptsHtml, pageResponse } from '#http/email-pages.ts';
import { checkInput } from '#http/input-check.ts';
import { parseJsonBody, parseQueryString } from '#http/request.ts';
import { fields, parseInput } from '#http/validation.ts';
import { requestDependencies } from '#shared/request-dependencies.ts';
import { defineRoot } from '#shared/root.ts';
import { registryTableNeed } from '../api-root.ts';

/** The link page's fields (the form's, or a JSON body's). */
const openInput = z.object({ link: fields.string() });
const useInput = z.object({
  link: fields.string(),
  comment: fields.optionalString(),
  archive_existing_versions: fields.boolean().optional(),
});

/** The link page's operations, as the API reference shows them. */
const operations: readonly OperationSpec[] = [
  {
    operation: 'openEmailLink',
    summary:
      "Show the confirmation page of an approval e-mail's link (decides nothing)",
    input: openInput,
    output: 'html',
  },
  {
    operation: 'useEmailLink',
    summary:
      "Approve or reject as the approver an e-mail's link was sent to (once per e-mail)",
    input: useInput,
    output: 'html',
  },
];

/**
 * `GET` and `POST /callbacks/email/decision`: the page behind the links of
 * approval e-mails. Public routes (no authorizer): the signed link is the
 * credential, checked by the use case; a registry token sent along must
 * be the link's approver's. What it decides, it decides through the
 * transition-request use cases, as the API does.
 */
export const emailCallbacksRoot = {
  operations,
  ...defineRoot({
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
            const query = parseQueryString(event.rawQueryString ?? '');
            checkInput(query);
            const { link } = parseInput(openInput, query);
            const page = await openEmailLink(deps, link, caller);
            return pageResponse(page, { html, link });
          }
          const body = bodyFields(event);
          // The one edge check (lengths, depth) before anything reads it.
          checkInput(body);
          const form = parseInput(useInput, body);
          const page = await useEmailLink(deps, form.link, caller, {
            comment: form.comment,
            archiveExistingVersions: form.archive_existing_versions,
          });
          return pageResponse(page, { html });
        }),
  }),
};

/** The body's fields: the page's form, or a JSON object. */
function bodyFields(event: APIGatewayProxyEventV2): Record<string, unknown> {
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
  if (type === 'application/x-www-form-urlencoded') {
    return parseQueryString(text);
  }
  if (type === 'application/json') return parseJsonBody(event);
  throw new InvalidParameterValueError(
    'The body must be a form (application/x-www-form-urlencoded) or JSON.'
  );
}
