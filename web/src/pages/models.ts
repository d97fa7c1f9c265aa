import {
  call,
  type RegisteredModel,
  type RegisteredModelDatabricks,
} from '../api.ts';
import { field, formatTime, h, mount } from '../dom.ts';
import { modelHref, type Page, versionHref } from '../page.ts';
import { levelName, stageBadge, textInput } from '../ui.ts';

const PAGE_SIZE = 25;
const ORDERS: readonly [string, string][] = [
  ['name ASC', 'Name, A to Z'],
  ['name DESC', 'Name, Z to A'],
  ['last_updated_timestamp DESC', 'Recently updated'],
];

/** Page tokens of the pages before this one, for "Previous". */
const previousTokens: string[] = [];

/** MLflow filter text for a name fragment and `key=value` tag filters. */
export function modelFilter(name: string, tag: string): string {
  const clauses: string[] = [];
  if (name.trim()) clauses.push(`name ILIKE ${quote(`%${name.trim()}%`)}`);
  if (tag.trim()) {
    const [key = '', ...rest] = tag.split('=');
    const value = rest.join('=').trim();
    clauses.push(
      value
        ? `tags.\`${key.trim()}\` = ${quote(value)}`
        : `tags.\`${key.trim()}\` LIKE '%'`
    );
  }
  return clauses.join(' AND ');
}

function quote(text: string): string {
  return text.includes("'") ? `"${text}"` : `'${text}'`;
}

export const modelsPage: Page = async ({ main, query }) => {
  document.title = 'Models · stagegate';
  const name = query.get('q') ?? '';
  const tag = query.get('tag') ?? '';
  const order = query.get('order') ?? 'name ASC';
  const pageToken = query.get('page_token') ?? '';
  if (!pageToken) previousTokens.length = 0;
  const response = await call<{
    registered_models?: RegisteredModel[];
    next_page_token?: string;
  }>('searchModels', {
    filter: modelFilter(name, tag),
    order_by: order,
    max_results: PAGE_SIZE,
    page_token: pageToken,
  });
  const models = response.registered_models ?? [];

  const nameInput = textInput('q', { value: name, type: 'search' });
  const tagInput = textInput('tag', { value: tag, placeholder: 'team=risk' });
  const orderSelect = h(
    'select',
    { name: 'order' },
    ORDERS.map(([value, label]) =>
      h('option', { value, selected: value === order }, label)
    )
  );
  const go = (token?: string) => {
    const next = new URLSearchParams();
    if (nameInput.value.trim()) next.set('q', nameInput.value.trim());
    if (tagInput.value.trim()) next.set('tag', tagInput.value.trim());
    if (orderSelect.value !== 'name ASC') next.set('order', orderSelect.value);
    if (token) next.set('page_token', token);
    location.hash = `#/models${next.size ? `?${next}` : ''}`;
  };
  const levelCells = new Map<string, HTMLElement>();
  mount(
    main,
    h('h1', null, 'Registered models'),
    h(
      'form',
      {
        class: 'inline',
        role: 'search',
        onSubmit: (event: Event) => {
          event.preventDefault();
          go();
        },
      },
      field('Name contains', nameInput),
      field('Tag (key or key=value)', tagInput),
      field('Sort by', orderSelect),
      h('button', { type: 'submit' }, 'Search')
    ),
    models.length === 0
      ? h('p', null, 'No models match.')
      : h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, 'Registered models'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Name',
                'Latest versions',
                'Tags',
                'Last updated',
                'Your permission',
              ].map((title) => h('th', { scope: 'col' }, title))
            )
          ),
          h(
            'tbody',
            null,
            models.map((model) => {
              const level = h('td', null, '…');
              levelCells.set(model.name, level);
              return h(
                'tr',
                null,
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: modelHref(model.name) }, model.name)
                ),
                h(
                  'td',
                  null,
                  (model.latest_versions ?? []).map((version) =>
                    h(
                      'a',
                      {
                        class: 'version-chip',
                        href: versionHref(model.name, version.version),
                      },
                      `v${version.version} `,
                      stageBadge(version.current_stage)
                    )
                  )
                ),
                h(
                  'td',
                  null,
                  (model.tags ?? [])
                    .map((t) => `${t.key}=${t.value}`)
                    .join(', ')
                ),
                h('td', null, formatTime(model.last_updated_timestamp)),
                level
              );
            })
          )
        ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      h(
        'button',
        {
          type: 'button',
          disabled: !pageToken,
          onClick: () => go(previousTokens.pop() || undefined),
        },
        'Previous page'
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: !response.next_page_token,
          onClick: () => {
            previousTokens.push(pageToken);
            go(response.next_page_token);
          },
        },
        'Next page'
      )
    )
  );
  // The caller's level on each model of this page, after the first paint.
  await Promise.all(
    [...levelCells].map(async ([modelName, cell]) => {
      try {
        const { registered_model_databricks: model } = await call<{
          registered_model_databricks: RegisteredModelDatabricks;
        }>('getModel', { name: modelName });
        cell.textContent = levelName(model.permission_level);
      } catch {
        cell.textContent = '—';
      }
    })
  );
};
