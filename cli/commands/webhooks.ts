/**
 * `webhooks list|create|update|delete|test|deliveries|redeliver`: registry
 * webhooks (HTTP) and their delivery log.
 */
import type { WebhookDelivery, WebhookSpec } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { formatTimestamp, renderTable } from '../output.ts';

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

function deliveryRow(d: WebhookDelivery): string[] {
  const last = d.attempts.at(-1);
  return [
    d.id,
    d.event,
    d.status,
    String(d.attempts.length),
    last?.status_code === undefined
      ? (last?.error ?? '-')
      : String(last.status_code),
    formatTimestamp(d.creation_timestamp),
  ];
}

const DELIVERY_HEADER = [
  'ID',
  'EVENT',
  'STATUS',
  'ATTEMPTS',
  'LAST',
  'CREATED',
];

export async function deliveries(context: Context): Promise<void> {
  const limitText = context.option('limit') ?? '50';
  if (!/^[1-9]\d*$/.test(limitText)) {
    throw new UsageError(
      `--limit takes a positive whole number, not '${limitText}'`,
      'webhooks deliveries'
    );
  }
  const limit = Number(limitText);
  const client = await context.client();
  const id = context.arg('id');
  const shown: WebhookDelivery[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.listWebhookDeliveries({
      id,
      maxResults: Math.min(limit - shown.length, 500),
      pageToken,
    });
    shown.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && shown.length < limit);
  context.emit({ deliveries: shown }, () =>
    shown.length === 0
      ? `no deliveries for webhook ${id}`
      : renderTable(DELIVERY_HEADER, shown.slice(0, limit).map(deliveryRow))
  );
}

export async function redeliver(context: Context): Promise<void> {
  const client = await context.client();
  const delivery = await client.redeliverWebhookDelivery(
    context.arg('id'),
    context.arg('delivery-id')
  );
  context.emit(
    { delivery },
    () => `queued delivery ${delivery.id} (${delivery.event}) again`
  );
}
