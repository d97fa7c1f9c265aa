import { createHmac } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { InvalidParameterValueError } from './errors.ts';
import { limits } from './limits.ts';

/** Databricks' `RegistryWebhookEvent`. */
export const DATABRICKS_WEBHOOK_EVENTS = [
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_TRANSITIONED_STAGE',
  'TRANSITION_REQUEST_CREATED',
  'COMMENT_CREATED',
  'REGISTERED_MODEL_CREATED',
  'MODEL_VERSION_TAG_SET',
  'MODEL_VERSION_TRANSITIONED_TO_STAGING',
  'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
  'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
  'TRANSITION_REQUEST_TO_STAGING_CREATED',
  'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
  'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
] as const;

/**
 * Events beyond Databricks' (extensions): what happened to a request after
 * it was made, a reminder of one still open, and the outcome of a
 * version's artifact registration. Like every event, fired only to
 * webhooks subscribed to them.
 */
export const EXTENSION_WEBHOOK_EVENTS = [
  'TRANSITION_REQUEST_APPROVED',
  'TRANSITION_REQUEST_REJECTED',
  'TRANSITION_REQUEST_CANCELLED',
  'TRANSITION_REQUEST_EXPIRED',
  'TRANSITION_REQUEST_REMINDER',
  'MODEL_VERSION_REGISTRATION_READY',
  'MODEL_VERSION_REGISTRATION_FAILED',
] as const;

export const WEBHOOK_EVENTS = [
  ...DATABRICKS_WEBHOOK_EVENTS,
  ...EXTENSION_WEBHOOK_EVENTS,
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * `ACTIVE` (the default) fires on events; `TEST_MODE` only through the
 * test endpoint; `DISABLED` never.
 */
export const WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED', 'TEST_MODE'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** Databricks' `HttpUrlSpec`; `secret` and `authorization` are stored, never answered. */
export interface HttpUrlSpec {
  readonly url: string;
  /** HMAC-SHA256 key of `X-Databricks-Signature`. */
  readonly secret?: string;
  /** Sent as the `Authorization` header. */
  readonly authorization?: string;
  /** @default true */
  readonly enableSslVerification: boolean;
}

/** Databricks' `JobSpec`; `accessToken` is stored, never answered. */
export interface JobSpec {
  readonly jobId: string;
  readonly accessToken: string;
  readonly workspaceUrl?: string;
}

/**
 * A registry webhook. A model-specific one is bound to its model's stable
 * id (the name can change, and can be taken by another model after a
 * rename or delete); without `modelId` it is registry-wide. `ACTIVE`
 * http webhooks receive the registry's events (`functions/domain/registry/
 * event-delivery.ts`); job webhooks are stored only.
 */
export interface Webhook {
  readonly id: string;
  readonly modelId?: string;
  readonly events: readonly WebhookEvent[];
  readonly description?: string;
  readonly status: WebhookStatus;
  readonly httpUrlSpec?: HttpUrlSpec;
  readonly jobSpec?: JobSpec;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
}

/**
 * A webhook as the API shows it: with its model's name as of now (the
 * wire speaks `model_name`, as Databricks does).
 */
export interface WebhookView extends Webhook {
  readonly modelName?: string;
}

export const WEBHOOK_DESCRIPTION_MAX = limits.descriptionLength;
const URL_MAX = limits.urlLength;
const SECRET_MAX = limits.secretLength;

/**
 * Distinct, known events; `REGISTERED_MODEL_CREATED` only registry-wide
 * (Databricks: there is no model yet to attach it to).
 */
export function validateEvents(
  events: readonly string[],
  scope: 'model' | 'registry'
): WebhookEvent[] {
  if (events.length === 0) {
    throw new InvalidParameterValueError(
      "Missing value for required parameter 'events': a webhook needs at least one event."
    );
  }
  const known = new Set<string>(WEBHOOK_EVENTS);
  for (const event of events) {
    if (!known.has(event)) {
      throw new InvalidParameterValueError(
        `Invalid value '${event.slice(0, 64)}' for parameter 'events'. Supported events: ${WEBHOOK_EVENTS.join(', ')}.`
      );
    }
  }
  if (scope === 'model' && events.includes('REGISTERED_MODEL_CREATED')) {
    throw new InvalidParameterValueError(
      "Event 'REGISTERED_MODEL_CREATED' is only valid for registry-wide webhooks (created without 'model_name')."
    );
  }
  return [...new Set(events)] as WebhookEvent[];
}

export function validateDescription(
  description: string | undefined
): string | undefined {
  if (
    description !== undefined &&
    description.length > WEBHOOK_DESCRIPTION_MAX
  ) {
    throw new InvalidParameterValueError(
      `Webhook description had length ${description.length}, which exceeded length limit of ${WEBHOOK_DESCRIPTION_MAX}`
    );
  }
  return description;
}

/** The two targets are exclusive, and one is needed. */
export function validateTarget(spec: {
  httpUrlSpec?: unknown;
  jobSpec?: unknown;
}): void {
  const given = [spec.httpUrlSpec, spec.jobSpec].filter(
    (target) => target !== undefined
  ).length;
  if (given !== 1) {
    throw new InvalidParameterValueError(
      "Exactly one of 'http_url_spec' and 'job_spec' must be given."
    );
  }
}

export function validateSecretLength(
  field: string,
  value: string | undefined
): void {
  if (value !== undefined && value.length > SECRET_MAX) {
    // The value itself is never echoed.
    throw new InvalidParameterValueError(
      `Parameter '${field}' is longer than ${SECRET_MAX} characters.`
    );
  }
}

/**
 * Where webhooks may post. `allowPrivate` (the local runtime, where tests
 * post to 127.0.0.1) also allows plain http and private hosts; otherwise
 * only https to hosts that are not literal private, loopback or
 * link-local addresses. Names that resolve to such addresses are refused
 * when delivering ({@link isPublicAddress}), at connect time.
 */
export function validateWebhookUrl(url: string, allowPrivate: boolean): URL {
  if (url.length > URL_MAX) {
    throw new InvalidParameterValueError(
      `Webhook URL is longer than ${URL_MAX} characters.`
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidParameterValueError(
      "Invalid value for parameter 'http_url_spec.url': not an absolute URL."
    );
  }
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol)) {
    throw new InvalidParameterValueError(
      `Invalid value for parameter 'http_url_spec.url': the scheme must be ${allowPrivate ? 'https or http' : 'https'}.`
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidParameterValueError(
      "Invalid value for parameter 'http_url_spec.url': credentials in the URL are not allowed; use 'authorization'."
    );
  }
  const host = hostOf(parsed);
  if (!allowPrivate && (isLocalName(host) || !isPublicHost(host))) {
    throw new InvalidParameterValueError(
      "Invalid value for parameter 'http_url_spec.url': webhooks cannot post to private, loopback or link-local addresses."
    );
  }
  return parsed;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function isLocalName(host: string): boolean {
  const lower = host.toLowerCase().replace(/\.$/, '');
  return (
    lower === 'localhost' ||
    lower.endsWith('.localhost') ||
    lower.endsWith('.local') ||
    lower.endsWith('.internal')
  );
}

/** A host name passes here; an IP literal must be public. */
function isPublicHost(host: string): boolean {
  return isIP(host) === 0 || isPublicAddress(host);
}

/** IPv4 networks that are not publicly routable. */
const NON_PUBLIC_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
}

/**
 * IPv6 is judged by allowing, not by refusing: only global unicast
 * (`2000::/3`, where every public allocation lies) minus its
 * special-purpose blocks. Everything else is refused with it: loopback,
 * unspecified, unique-local, link-local, site-local, multicast, discard,
 * NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), IPv4-compatible (`::a.b.c.d`)
 * and IPv4-translated (`::ffff:0:a.b.c.d`) addresses, whose embedded IPv4
 * address could otherwise be private.
 */
const GLOBAL_UNICAST_V6 = new BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');
const SPECIAL_V6 = new BlockList();
for (const [network, prefix] of [
  // IETF protocol assignments: Teredo (2001::/32, embeds IPv4 addresses),
  // benchmarking, ORCHID and others; no ordinary host lives here.
  ['2001::', 23],
  ['2001:db8::', 32],
  // 6to4, deprecated (RFC 7526): embeds an IPv4 address.
  ['2002::', 16],
  ['3fff::', 20],
] as const) {
  SPECIAL_V6.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether an IP address is publicly routable: not private (RFC 1918,
 * unique-local), loopback, link-local (which includes the instance
 * metadata endpoint), carrier-grade NAT, multicast, reserved, or an IPv6
 * form that embeds an IPv4 address. IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`, in any spelling) are judged as their IPv4 address,
 * which is where a connection to them goes.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  const groups = ipv6Groups(address);
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) {
      return isPublicAddress(
        [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.')
      );
    }
  }
  const canonical = groups.map((group) => group.toString(16)).join(':');
  return (
    GLOBAL_UNICAST_V6.check(canonical, 'ipv6') &&
    !SPECIAL_V6.check(canonical, 'ipv6')
  );
}

/**
 * The eight 16-bit groups of an address `isIP` accepted as IPv6, whatever
 * its spelling: `::` compression, a dotted IPv4 tail, a zone index.
 */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => Number.parseInt(group, 16)) : [];
  const [head, tail] = text.split('::');
  const front = parse(head);
  const back = parse(tail);
  return [
    ...front,
    ...new Array<number>(8 - front.length - back.length).fill(0),
    ...back,
  ];
}

/** Databricks' test payload for `event` (version "1", None → Staging). */
export function testPayload(
  webhook: Pick<WebhookView, 'id' | 'modelName'>,
  event: WebhookEvent,
  now: number
): Record<string, unknown> {
  const modelName = webhook.modelName ?? 'webhook-test-model';
  return {
    event,
    webhook_id: webhook.id,
    event_timestamp: now,
    model_name: modelName,
    version: '1',
    to_stage: 'Staging',
    from_stage: 'None',
    text: `This is a test of registry webhook ${webhook.id} for event ${event} on registered model '${modelName}'.`,
  };
}

/**
 * `X-Databricks-Signature`: lowercase hex HMAC-SHA256 of the raw body,
 * keyed with the webhook's secret.
 */
export function webhookSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/**
 * No HTTP response came back from a webhook's receiver (refused,
 * unreachable, timed out, or a blocked address): the webhook's URL does
 * not work, so 400 `INVALID_PARAMETER_VALUE` (never a 5xx, which would read
 * as the registry failing).
 */
export class WebhookDeliveryError extends InvalidParameterValueError {
  /**
   * Whether trying again may help: not for an address the filter refuses
   * (the receiver's DNS would have to change), yes for anything else.
   */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.retryable = options.retryable ?? true;
  }
}
