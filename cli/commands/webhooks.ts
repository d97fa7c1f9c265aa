/** `webhooks list|create|update|delete|test`: registry webhooks (HTTP). */
import type { WebhookSpec } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { renderTable } from '../output.ts';

/** The spec the options give; `--secret -` reads the secret from stdin. */
async function spec(context: Context): Promise<WebhookSpec> {
  let secret = context.option('secret');
  if (secret === '-') secret = (await context.io.readStdin()).trim();
  const events = context.options('event');
  const url = context.option('url');
  if (secret !== undefined && url === undefined) {
    throw new UsageError(
      '--secret goes with --url (the receiver it signs for)',
      context.invocation.command.words.join(' ')
    );
  }
  return {
    events: events.length > 0 ? events : undefined,
    description: context.option('description'),
    status: context.option('status')?.toUpperCase(),
    url,
    secret,
  };
}

export async function list(context: Context): Promise<void> {
  const client = await context.client();
  const webhooks = await client.listWebhooks({
    modelName: context.option('model'),
    events: context.options('event'),
  });
  context.emit({ webhooks }, () =>
    webhooks.length === 0
      ? 'no webhooks'
      : renderTable(
          ['ID', 'MODEL', 'STATUS', 'URL', 'EVENTS'],
          webhooks.map((w) => [
            w.id,
            w.model_name ?? '(registry)',
            w.status,
            w.http_url_spec?.url ?? `job ${w.job_spec?.job_id ?? ''}`,
            w.events.join(', '),
          ])
        )
  );
}

export async function create(context: Context): Promise<void> {
  const given = await spec(context);
  if (given.url === undefined || given.events === undefined) {
    throw new UsageError(
      'a webhook needs --url and at least one --event',
      'webhooks create'
    );
  }
  const client = await context.client();
  const webhook = await client.createWebhook({
    ...given,
    modelName: context.option('model'),
  });
  context.emit(
    { webhook },
    () => `created webhook ${webhook.id} (${webhook.status})`
  );
}

export async function update(context: Context): Promise<void> {
  const given = await spec(context);
  if (Object.values(given).every((value) => value === undefined)) {
    throw new UsageError(
      'nothing to change: give --event, --url, --secret, --description or --status',
      'webhooks update'
    );
  }
  const client = await context.client();
  const webhook = await client.updateWebhook(context.arg('id'), given);
  context.emit({ webhook }, () => `updated webhook ${webhook.id}`);
}

export async function remove(context: Context): Promise<void> {
  const client = await context.client();
  const id = context.arg('id');
  await client.deleteWebhook(id);
  context.emit({}, () => `deleted webhook ${id}`);
}

export async function test(context: Context): Promise<void> {
  const client = await context.client();
  const id = context.arg('id');
  const result = await client.testWebhook(id, context.option('event'));
  context.emit(
    { status_code: result.statusCode, body: result.body },
    () =>
      `the receiver answered ${result.statusCode}${result.body ? `: ${result.body.slice(0, 200)}` : ''}`
  );
}
