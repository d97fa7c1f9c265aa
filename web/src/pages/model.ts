import {
  call,
  type ModelVersion,
  type RegisteredModelDatabricks,
  type TransitionRequest,
} from '../api.ts';
import { field, formatTime, h, mount } from '../dom.ts';
import { type Page, versionHref } from '../page.ts';
import { openPermissionsDialog } from '../permissions.ts';
import {
  act,
  alertBox,
  button,
  levelName,
  stageBadge,
  tagForm,
  tagList,
  textInput,
} from '../ui.ts';
import { requestRows } from './requests.ts';

export const modelPage: Page = async (context, [name = '']) => {
  const { main, rerender } = context;
  document.title = `${name} · stagegate`;
  const [{ registered_model_databricks: model }, versions, requests] =
    await Promise.all([
      call<{ registered_model_databricks: RegisteredModelDatabricks }>(
        'getModel',
        { name }
      ),
      call<{ model_versions?: ModelVersion[] }>('searchVersions', {
        filter: `name = '${name.replaceAll("'", "\\'")}'`,
        order_by: 'version_number DESC',
        max_results: 200,
      }),
      call<{ requests?: TransitionRequest[] }>('listRequests', { name }),
    ]);
  const alert = alertBox();
  const policy = model.stage_policy;
  const canManage = model.permission_level === 'CAN_MANAGE';

  mount(
    main,
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'crumbs' },
      h('a', { href: '#/models' }, 'Models'),
      ' / ',
      h('span', { 'aria-current': 'page' }, name)
    ),
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, name),
      h(
        'span',
        { class: 'muted' },
        `Your permission: ${levelName(model.permission_level)}`
      ),
      canManage &&
        button('Permissions', () =>
          openPermissionsDialog(model.id, `Permissions: ${name}`)
        )
    ),
    alert,
    h('h2', null, 'Pending requests'),
    requestRows(requests.requests ?? [], rerender, true),
    h('h2', null, 'Description'),
    descriptionEditor(model.description, alert, async (description) => {
      await call('updateModel', { name, description });
      rerender();
    }),
    h(
      'section',
      { class: 'grid' },
      h(
        'div',
        null,
        h('h2', null, 'Tags'),
        tagList(
          model.tags,
          async (key) => {
            await call('deleteModelTag', { name, key });
            rerender();
          },
          alert
        ),
        tagForm(alert, async (key, value) => {
          await call('setModelTag', { name, key, value });
          rerender();
        })
      ),
      h(
        'div',
        null,
        h('h2', null, 'Aliases'),
        model.aliases?.length
          ? h(
              'ul',
              { class: 'tags' },
              model.aliases.map((alias) =>
                h(
                  'li',
                  null,
                  h('span', { class: 'tag' }, `@${alias.alias} → `),
                  h(
                    'a',
                    { href: versionHref(name, alias.version) },
                    `Version ${alias.version}`
                  ),
                  button(
                    'Remove',
                    (event) =>
                      void act(
                        event.currentTarget as HTMLButtonElement,
                        alert,
                        async () => {
                          await call('deleteAlias', {
                            name,
                            alias: alias.alias,
                          });
                          rerender();
                        }
                      ),
                    {
                      class: 'link',
                      'aria-label': `Remove alias ${alias.alias}`,
                    }
                  )
                )
              )
            )
          : h('p', { class: 'muted' }, 'No aliases.'),
        aliasForm(alert, async (alias, version) => {
          await call('setAlias', { name, alias, version });
          rerender();
        })
      ),
      h(
        'div',
        null,
        h('h2', null, 'Protected stages'),
        policy.protected_stages.length
          ? h(
              'p',
              null,
              `${policy.protected_stages.join(', ')}: entered only through an approved request, with ${policy.required_approvals} approval${policy.required_approvals === 1 ? '' : 's'} from someone other than the requester.`
            )
          : h('p', null, 'No stage is protected.')
      )
    ),
    h('h2', null, 'Versions'),
    (versions.model_versions ?? []).length === 0
      ? h('p', null, 'No versions yet.')
      : h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, `Versions of ${name}`),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Version', 'Stage', 'Status', 'Registered', 'By'].map((title) =>
                h('th', { scope: 'col' }, title)
              )
            )
          ),
          h(
            'tbody',
            null,
            (versions.model_versions ?? []).map((version) =>
              h(
                'tr',
                { 'data-version': version.version },
                h(
                  'th',
                  { scope: 'row' },
                  h(
                    'a',
                    { href: versionHref(name, version.version) },
                    `Version ${version.version}`
                  )
                ),
                h('td', null, stageBadge(version.current_stage)),
                h('td', null, version.status),
                h('td', null, formatTime(version.creation_timestamp)),
                h('td', null, version.user_id)
              )
            )
          )
        )
  );
};

/** The description, shown as text with an Edit button that swaps in a form. */
export function descriptionEditor(
  description: string,
  alert: { show(error: unknown): void },
  save: (description: string) => Promise<void>
): HTMLElement {
  const container = h('div', { class: 'description' });
  const show = () =>
    mount(
      container,
      h(
        'p',
        { class: description ? undefined : 'muted' },
        description || 'No description.'
      ),
      button('Edit description', edit, { class: 'secondary' })
    );
  const edit = () => {
    const text = h('textarea', { name: 'description', rows: 4 }, description);
    const submit = h('button', { type: 'submit' }, 'Save description');
    mount(
      container,
      h(
        'form',
        {
          onSubmit: (event: Event) => {
            event.preventDefault();
            void act(submit, alert, () => save(text.value));
          },
        },
        field('Description', text),
        h(
          'div',
          { class: 'actions' },
          submit,
          button('Cancel', show, { class: 'secondary' })
        )
      )
    );
    text.focus();
  };
  show();
  return container;
}

function aliasForm(
  alert: { show(error: unknown): void },
  onSet: (alias: string, version: string) => Promise<void>
): HTMLFormElement {
  const alias = textInput('alias', { required: true });
  const version = textInput('version', {
    required: true,
    inputmode: 'numeric',
  });
  const submit = h('button', { type: 'submit' }, 'Set alias');
  return h(
    'form',
    {
      class: 'inline',
      onSubmit: (event: Event) => {
        event.preventDefault();
        void act(submit, alert, () =>
          onSet(alias.value.trim(), version.value.trim())
        );
      },
    },
    field('Alias', alias),
    field('Version', version),
    submit
  );
}
