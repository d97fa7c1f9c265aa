import { type AclEntry, call } from './api.ts';
import { h, mount, uid } from './dom.ts';
import {
  act,
  alertBox,
  button,
  field,
  LEVEL_NAMES,
  levelName,
  openDialog,
  textInput,
} from './ui.ts';

type PrincipalKind = 'user_name' | 'group_name' | 'service_principal_name';

const KINDS: readonly [PrincipalKind, string][] = [
  ['user_name', 'User'],
  ['group_name', 'Group'],
  ['service_principal_name', 'Service principal'],
];

function principalOf(entry: AclEntry): [PrincipalKind, string] {
  for (const [kind] of KINDS) {
    const name = entry[kind];
    if (name) return [kind, name];
  }
  return ['user_name', ''];
}

/**
 * The permissions dialog of a model (`objectId` its id) or of the registry
 * root (`root`): direct entries can be changed and removed; inherited
 * ones (from the root, or admins') are shown as such. A refusal (for
 * example the guard against removing the last manager) is shown in place.
 */
export function openPermissionsDialog(objectId: string, title: string) {
  openDialog(title, () => {
    const body = h('div', { class: 'permissions' }, h('p', null, 'Loading…'));
    void load(body, objectId);
    return body;
  });
}

async function load(body: HTMLElement, objectId: string) {
  const alert = alertBox();
  const path = { registered_model_id: objectId };
  const [acl, levels] = await Promise.all([
    call<{ access_control_list?: AclEntry[] }>('getPermissions', {}, path),
    call<{ permission_levels?: { permission_level: string }[] }>(
      'permissionLevels',
      {},
      path
    ).catch(() => ({ permission_levels: undefined })),
  ]);
  const entries = acl.access_control_list ?? [];
  const levelNames =
    levels.permission_levels?.map((l) => l.permission_level) ??
    Object.keys(LEVEL_NAMES).filter((level) => level !== 'NO_PERMISSIONS');
  const direct = entries.flatMap((entry) =>
    entry.all_permissions
      .filter((permission) => !permission.inherited)
      .map((permission) => ({
        principal: principalOf(entry),
        level: permission.permission_level,
      }))
  );
  const reload = () => load(body, objectId);

  const remove = async (kind: PrincipalKind, name: string) => {
    await call(
      'setPermissions',
      {
        access_control_list: direct
          .filter(
            (entry) =>
              !(entry.principal[0] === kind && entry.principal[1] === name)
          )
          .map((entry) => ({
            [entry.principal[0]]: entry.principal[1],
            permission_level: entry.level,
          })),
      },
      path
    );
    await reload();
  };

  const kind = h(
    'select',
    { name: 'kind' },
    KINDS.map(([value, label]) => h('option', { value }, label))
  );
  const listId = uid('principals');
  const name = textInput('principal', { required: true, list: listId });
  const datalist = h('datalist', { id: listId });
  const level = h(
    'select',
    { name: 'level' },
    levelNames.map((value) => h('option', { value }, levelName(value)))
  );
  const submit = h('button', { type: 'submit' }, 'Grant');
  const fillSuggestions = async () => {
    const endpoint =
      kind.value === 'group_name'
        ? 'listGroups'
        : kind.value === 'service_principal_name'
          ? 'listServicePrincipals'
          : 'listUsers';
    const list = await call<{
      Resources?: {
        displayName?: string;
        userName?: string;
        applicationId?: string;
      }[];
    }>(endpoint).catch(() => ({ Resources: [] }));
    mount(
      datalist,
      (list.Resources ?? []).map((resource) =>
        h('option', {
          value:
            kind.value === 'user_name'
              ? (resource.userName ?? '')
              : kind.value === 'service_principal_name'
                ? (resource.applicationId ?? resource.displayName ?? '')
                : (resource.displayName ?? ''),
        })
      )
    );
  };
  kind.addEventListener('change', () => void fillSuggestions());
  void fillSuggestions();

  mount(
    body,
    alert,
    h(
      'table',
      null,
      h('caption', null, 'Who has access'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Principal', 'Type', 'Permission', 'Source', 'Actions'].map(
            (title) => h('th', { scope: 'col' }, title)
          )
        )
      ),
      h(
        'tbody',
        null,
        entries.flatMap((entry) => {
          const [entryKind, entryName] = principalOf(entry);
          const kindLabel = KINDS.find(([k]) => k === entryKind)?.[1] ?? '';
          return entry.all_permissions.map((permission) =>
            h(
              'tr',
              { class: permission.inherited ? 'inherited' : undefined },
              h('th', { scope: 'row' }, entryName),
              h('td', null, kindLabel),
              h('td', null, levelName(permission.permission_level)),
              h('td', null, permission.inherited ? 'Inherited' : 'Direct'),
              h(
                'td',
                null,
                permission.inherited
                  ? ''
                  : button(
                      'Remove',
                      (event) =>
                        void act(
                          event.currentTarget as HTMLButtonElement,
                          alert,
                          () => remove(entryKind, entryName)
                        ),
                      {
                        class: 'link',
                        'aria-label': `Remove ${entryName}'s ${levelName(permission.permission_level)}`,
                      }
                    )
              )
            )
          );
        })
      )
    ),
    h(
      'form',
      {
        class: 'grant',
        onSubmit: (event: Event) => {
          event.preventDefault();
          void act(submit, alert, async () => {
            await call(
              'updatePermissions',
              {
                access_control_list: [
                  {
                    [kind.value]: name.value.trim(),
                    permission_level: level.value,
                  },
                ],
              },
              path
            );
            await reload();
          });
        },
      },
      h('h3', null, 'Grant a permission'),
      h(
        'div',
        { class: 'inline' },
        field('Principal type', kind),
        field('Name', name),
        datalist,
        field('Permission', level),
        submit
      )
    )
  );
}
