import { call, type TokenInfo } from '../api.ts';
import { field, formatTime, h, mount } from '../dom.ts';
import type { Page } from '../page.ts';
import { act, alertBox, button, textInput } from '../ui.ts';

/** The caller's own tokens: list, create (the value shown once), revoke. */
export const tokensPage: Page = async ({ main, rerender }) => {
  document.title = 'Tokens · stagegate';
  const { token_infos: tokens = [] } = await call<{
    token_infos?: TokenInfo[];
  }>('listTokens');
  const alert = alertBox();
  const created = h('div', { 'aria-live': 'polite' });
  const comment = textInput('comment', { required: true });
  const days = h('input', {
    type: 'number',
    name: 'days',
    min: 1,
    value: '90',
  });
  const submit = h('button', { type: 'submit' }, 'Create token');
  mount(
    main,
    h('h1', null, 'Your tokens'),
    alert,
    h(
      'form',
      {
        class: 'inline card',
        onSubmit: (event: Event) => {
          event.preventDefault();
          void act(submit, alert, async () => {
            const result = await call<{ token_value: string }>('createToken', {
              comment: comment.value,
              lifetime_seconds: Number(days.value) * 86_400,
            });
            mount(
              created,
              h(
                'div',
                { class: 'card notice' },
                h('p', null, 'Copy this token now; it is not shown again:'),
                h('code', { class: 'secret' }, result.token_value),
                button('Done', rerender)
              )
            );
          });
        },
      },
      field('Comment', comment),
      field('Lifetime (days)', days),
      submit
    ),
    created,
    h(
      'table',
      null,
      h('caption', { class: 'sr-only' }, 'Your tokens'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Comment', 'Created', 'Expires', 'Actions'].map((title) =>
            h('th', { scope: 'col' }, title)
          )
        )
      ),
      h(
        'tbody',
        null,
        tokens.map((token) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, token.comment || token.token_id),
            h('td', null, formatTime(token.creation_time)),
            h(
              'td',
              null,
              token.expiry_time > 0 ? formatTime(token.expiry_time) : 'Never'
            ),
            h(
              'td',
              null,
              button(
                'Revoke',
                (event) =>
                  void act(
                    event.currentTarget as HTMLButtonElement,
                    alert,
                    async () => {
                      await call('deleteToken', { token_id: token.token_id });
                      rerender();
                    }
                  ),
                {
                  class: 'link',
                  'aria-label': `Revoke ${token.comment || token.token_id}`,
                }
              )
            )
          )
        )
      )
    )
  );
};
