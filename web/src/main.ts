import { ApiError, call, type Me, session } from './api.ts';
import { h, mount } from './dom.ts';
import type { Page, PageContext } from './page.ts';
import { inboxPage } from './pages/inbox.ts';
import { modelPage } from './pages/model.ts';
import { modelsPage } from './pages/models.ts';
import { registryPage } from './pages/registry.ts';
import { signInPage } from './pages/sign-in.ts';
import { tokensPage } from './pages/tokens.ts';
import { versionPage } from './pages/version.ts';
import { webhooksPage } from './pages/webhooks.ts';
import { alertBox, button } from './ui.ts';

/**
 * URL shapes (hash routes, so any static host serves the one page): stable,
 * linked from notifications; names are percent-encoded path segments.
 */
const ROUTES: readonly [RegExp, Page][] = [
  [/^\/(models)?$/, modelsPage],
  [/^\/models\/([^/]+)$/, modelPage],
  [/^\/models\/([^/]+)\/versions\/([^/]+)$/, versionPage],
  [/^\/inbox$/, inboxPage],
  [/^\/registry$/, registryPage],
  [/^\/tokens$/, tokensPage],
  [/^\/webhooks$/, webhooksPage],
];

const NAV: readonly [string, string][] = [
  ['#/models', 'Models'],
  ['#/inbox', 'Inbox'],
  ['#/registry', 'Registry'],
  ['#/tokens', 'Tokens'],
  ['#/webhooks', 'Webhooks'],
];

const root = document.getElementById('app') as HTMLElement;
let me: Me | undefined;
let rendering = 0;

async function render(): Promise<void> {
  const turn = ++rendering;
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', queryText = ''] = hash.split('?', 2);
  const main = h('main', { id: 'main', tabindex: '-1' });
  if (!session.token()) {
    me = undefined;
    mount(root, main);
    signInPage(main, () => void render());
    return;
  }
  if (!me) {
    try {
      me = await call<Me>('me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        session.signOut();
        mount(root, main);
        signInPage(main, () => void render(), 'That token was not accepted.');
        return;
      }
      throw error;
    }
  }
  if (turn !== rendering) return;
  mount(root, shell(path), main);
  const matched = ROUTES.map(
    ([pattern, page]) => [pattern.exec(path), page] as const
  ).find(([match]) => match);
  const context: PageContext = {
    main,
    me,
    query: new URLSearchParams(queryText),
    rerender: () => void render(),
  };
  if (!matched) {
    document.title = 'Not found · stagegate';
    mount(main, h('h1', null, 'Page not found'));
    return;
  }
  const [match, page] = matched;
  const params = (match?.slice(1) ?? []).map((part) =>
    part === undefined ? '' : decodeURIComponent(part)
  );
  try {
    await page(context, params);
  } catch (error) {
    const alert = alertBox();
    alert.show(error);
    mount(main, h('h1', null, 'Something went wrong'), alert);
  }
  if (turn === rendering && !main.contains(document.activeElement)) {
    main.focus({ preventScroll: true });
  }
}

function shell(path: string): HTMLElement {
  return h(
    'header',
    null,
    h(
      'a',
      { class: 'skip', href: '#main', onClick: skipToMain },
      'Skip to content'
    ),
    h('a', { class: 'brand', href: '#/models' }, 'stagegate'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h(
        'ul',
        null,
        NAV.map(([href, label]) =>
          h(
            'li',
            null,
            h(
              'a',
              {
                href,
                'aria-current': path.startsWith(href.slice(1))
                  ? 'page'
                  : undefined,
              },
              label
            )
          )
        )
      )
    ),
    h(
      'div',
      { class: 'who' },
      h('span', null, `Signed in as ${me?.userName ?? ''}`),
      button(
        'Sign out',
        () => {
          session.signOut();
          me = undefined;
          location.hash = '#/models';
          void render();
        },
        { class: 'secondary' }
      )
    )
  );
}

function skipToMain(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

window.addEventListener('hashchange', () => void render());
void render();
