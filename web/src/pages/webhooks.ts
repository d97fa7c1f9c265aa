import type { WebhookEvent } from '#domain/webhook.ts';
import { call, type Delivery, type Webhook } from '../api.ts';
import { field, formatTime, h, mount } from '../dom.ts';
import type { Page } from '../page.ts';
import { act, alertBox, button, openDialog, textInput } from '../ui.ts';

/**
 * Every event a webhook may subscribe to (a record over the domain's
 * union, so the list cannot drift from it).
 */
const EVENT_NAMES: Record<WebhookEvent, true> = {
  MODEL_VERSION_CREATED: true,
  MODEL_VERSION_TRANSITIONED_STAGE: true,
  TRANSITION_REQUEST_CREATED: true,
  COMMENT_CREATED: true,
  REGISTERED_MODEL_CREATED: true,
  MODEL_VERSION_TAG_SET: true,
  MODEL_VERSION_TRANSITIONED_TO_STAGING: true,
  MODEL_VERSION_TRANSITIONED_TO_PRODUCTION: true,
  MODEL_VERSION_TRANSITIONED_TO_ARCHIVED: true,
  TRANSITION_REQUEST_TO_STAGING_CREATED: true,
  TRANSITION_REQUEST_TO_PRODUCTION_CREATED: true,
  TRANSITION_REQUEST_TO_ARCHIVED_CREATED: true,
  TRANSITION_REQUEST_APPROVED: true,
  TRANSITION_REQUEST_REJECTED: true,
  TRANSITION_REQUEST_CANCELLED: true,
  TRANSITION_REQUEST_EXPIRED: true,
  TRANSITION_REQUEST_REMINDER: true,
  MODEL_VERSION_REGISTRATION_READY: true,
  MODEL_VERSION_REGISTRATION_FAILED: true,
};
const EVENTS = Object.keys(EVENT_NAMES);

/** Registry webhooks the caller manages, each with its delivery log. */
export const webhooksPage: Page = async ({ main, rerender }) => {
  document.title = 'Webhooks · stagegate';
  const { webhooks = [] } = await call<{ webhooks?: Webhook[] }>(
    'listWebhooks'
  );
  const alert = alertBox();
  const url = textInput('url', {
    type: 'url',
    required: true,
    placeholder: 'https://',
  });
  const model = textInput('model_name');
  const events = h(
    'select',
    { name: 'events', multiple: true, size: 4, required: true },
    EVENTS.map((event) => h('option', { value: event }, event))
  );
  const submit = h('button', { type: 'submit' }, 'Create webhook');
  mount(
    main,
    h('h1', null, 'Registry webhooks'),
    alert,
    h(
      'form',
      {
        class: 'inline card',
        onSubmit: (event: Event) => {
          event.preventDefault();
          void act(submit, alert, async () => {
            await call('createWebhook', {
              events: [...events.selectedOptions].map((option) => option.value),
              model_name: model.value.trim() || undefined,
              http_url_spec: { url: url.value },
            });
            rerender();
          });
        },
      },
      field('URL', url),
      field('Model (empty for all)', model),
      field('Events', events),
      submit
    ),
    webhooks.length === 0
      ? h('p', { class: 'muted' }, 'No webhooks.')
      : h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, 'Webhooks'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['URL', 'Model', 'Events', 'Status', 'Actions'].map((title) =>
                h('th', { scope: 'col' }, title)
              )
            )
          ),
          h(
            'tbody',
            null,
            webhooks.map((webhook) =>
              h(
                'tr',
                null,
                h(
                  'th',
                  { scope: 'row' },
                  webhook.http_url_spec?.url ?? webhook.id
                ),
                h('td', null, webhook.model_name ?? 'All models'),
                h('td', null, webhook.events.join(', ')),
                h('td', null, webhook.status),
                h(
                  'td',
                  { class: 'actions' },
                  button('Deliveries', () => deliveriesDialog(webhook), {
                    class: 'link',
                  }),
                  button(
                    'Test',
                    (event) =>
                      void act(
                        event.currentTarget as HTMLButtonElement,
                        alert,
                        async () => {
                          await call('testWebhook', { id: webhook.id });
                        }
                      ),
                    { class: 'link' }
                  ),
                  button(
                    'Delete',
                    (event) =>
                      void act(
                        event.currentTarget as HTMLButtonElement,
                        alert,
                        async () => {
                          await call('deleteWebhook', { id: webhook.id });
                          rerender();
                        }
                      ),
                    { class: 'link' }
                  )
                )
              )
            )
          )
        )
  );
};

function deliveriesDialog(webhook: Webhook) {
  openDialog(`Deliveries: ${webhook.http_url_spec?.url ?? webhook.id}`, () => {
    const body = h('div', null, h('p', null, 'Loading…'));
    void loadDeliveries(body, webhook);
    return body;
  });
}

async function loadDeliveries(body: HTMLElement, webhook: Webhook) {
  const alert = alertBox();
  const { deliveries = [] } = await call<{ deliveries?: Delivery[] }>(
    'listDeliveries',
    { id: webhook.id, max_results: 50 }
  );
  mount(
    body,
    alert,
    deliveries.length === 0
      ? h('p', { class: 'muted' }, 'Nothing delivered yet.')
      : h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, 'Delivery log'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Event',
                'Status',
                'Attempts',
                'Last answer',
                'Created',
                'Actions',
              ].map((title) => h('th', { scope: 'col' }, title))
            )
          ),
          h(
            'tbody',
            null,
            deliveries.map((delivery) => {
              const last = delivery.attempts.at(-1);
              return h(
                'tr',
                null,
                h('th', { scope: 'row' }, delivery.event),
                h('td', null, delivery.status),
                h('td', null, String(delivery.attempts.length)),
                h(
                  'td',
                  null,
                  last ? (last.status_code ?? last.error ?? '—') : '—'
                ),
                h('td', null, formatTime(delivery.creation_timestamp)),
                h(
                  'td',
                  null,
                  button(
                    'Redeliver',
                    (event) =>
                      void act(
                        event.currentTarget as HTMLButtonElement,
                        alert,
                        async () => {
                          await call('redeliver', {
                            id: webhook.id,
                            delivery_id: delivery.id,
                          });
                          await loadDeliveries(body, webhook);
                        }
                      ),
                    { class: 'link' }
                  )
                )
              );
            })
          )
        )
  );
}
