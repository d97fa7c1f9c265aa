import { call } from '../api.ts';
import { h, mount } from '../dom.ts';
import type { Page } from '../page.ts';
import { openPermissionsDialog } from '../permissions.ts';
import { button } from '../ui.ts';

/** The registry root: its protected-stage policy and its permissions. */
export const registryPage: Page = async ({ main }) => {
  document.title = 'Registry · stagegate';
  const { policy } = await call<{
    policy: { protected_stages: string[]; required_approvals: number };
  }>('registryPolicy');
  mount(
    main,
    h('h1', null, 'Registry'),
    h('h2', null, 'Protected stages'),
    h(
      'p',
      null,
      policy.protected_stages.length
        ? `${policy.protected_stages.join(', ')}, with ${policy.required_approvals} approval${policy.required_approvals === 1 ? '' : 's'} from someone other than the requester (models may set their own).`
        : 'No stage is protected by default.'
    ),
    h('h2', null, 'Permissions'),
    h(
      'p',
      null,
      'Registry-wide permissions apply to every model and are inherited by each model’s own list.'
    ),
    button('Registry permissions', () =>
      openPermissionsDialog('root', 'Permissions: the registry')
    )
  );
};
