import { call, session } from '../api.ts';
import { field, h, mount } from '../dom.ts';
import { act, alertBox } from '../ui.ts';

/**
 * Sign-in by pasting a token (a personal access token or a service
 * principal's). It is checked against `Me` before it is kept, in session
 * storage only.
 */
export function signInPage(
  main: HTMLElement,
  signedIn: () => void,
  notice?: string
) {
  document.title = 'Sign in · stagegate';
  const alert = alertBox();
  if (notice) alert.show(notice);
  const token = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  mount(
    main,
    h('h1', null, 'Sign in to stagegate'),
    h(
      'form',
      {
        class: 'card narrow',
        onSubmit: (event: Event) => {
          event.preventDefault();
          void act(submit, alert, async () => {
            session.signIn(token.value.trim());
            try {
              await call('me');
            } catch (error) {
              session.signOut();
              throw error;
            }
            signedIn();
          });
        },
      },
      field(
        'Access token',
        token,
        'A personal access token (stagegate token create, or the admin token printed by npm start). It is kept for this browser tab only.'
      ),
      alert,
      submit
    )
  );
  token.focus();
}
