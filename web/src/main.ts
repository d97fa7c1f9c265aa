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
/**
 * The caller, asked once per token and not waited for before the page's
 * own calls: the two go out together, so the first paint costs one round
 * trip, not two.
 */
let me: Promise<Me> | undefined;
let rendering = 0;

function signOutTo(main: HTMLElement, notice?: string) {
  session.signOut();
  me = undefined;
  mount(root, main);
  signInPage(main, () => void render(), notice);
}

async function render(): Promise<void> {
  const turn = ++rendering;
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', queryText = ''] = hash.split('?', 2);
  const main = h('main', { id: 'main', tabindex: '-1' });
  if (!session.token()) {
    signOutTo(main);
    return;
  }
  if (!me) {
    const asked = call<Me>('me');
    me = asked;
    asked.catch((error: unknown) => {
      if (me !== asked) return;
      if (error instanceof ApiError && error.status === 401) {
        rendering += 1;
        signOutTo(
          h('main', { id: 'main', tabindex: '-1' }),
          'That token was not accepted.'
        );
      }
    });
  }
  mount(root, shell(path, me), main);
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

function shell(path: string, caller: Promise<Me>): HTMLElement {
  const who = h('span', null, 'Signed in');
  caller.then(
    (known) => {
      who.textContent = `Signed in as ${known.userName}`;
    },
    () => undefined
  );
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
      who,
      button(
        'Sign out',
        () => {
          rendering += 1;
          location.hash = '#/models';
          signOutTo(h('main', { id: 'main', tabindex: '-1' }));
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
