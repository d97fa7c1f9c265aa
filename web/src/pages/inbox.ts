import { call, type TransitionRequest } from '../api.ts';
import { h, mount } from '../dom.ts';
import type { Page } from '../page.ts';
import { requestRows } from './requests.ts';

/** The open requests the caller may decide, across all models. */
export const inboxPage: Page = async ({ main, rerender }) => {
  document.title = 'Inbox · stagegate';
  const inbox = await call<{ requests?: TransitionRequest[] }>('inbox', {
    max_results: 100,
  });
  mount(
    main,
    h('h1', null, 'Inbox'),
    h('p', null, 'Open transition requests you may approve or reject.'),
    requestRows(inbox.requests ?? [], rerender, true)
  );
};
