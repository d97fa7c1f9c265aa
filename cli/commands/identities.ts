/**
 * `whoami`, `users …`, `groups …`, `service-principals …`: the SCIM API,
 * addressed by what people know (user names, group names, application
 * ids) rather than by SCIM ids. All but `whoami` are for admins.
 */
import type {
  RegistryClient,
  ScimGroup,
  ScimKind,
  ScimServicePrincipal,
  ScimUser,
} from '../client.ts';
import { CliError, UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { renderFields, renderTable } from '../output.ts';

/** `<attribute> eq "<value>"`, quoted as SCIM filters quote. */
export function scimEquals(attribute: string, value: string): string {
  return `${attribute} eq "${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const FIND = {
  Users: { attribute: 'userName', what: 'user' },
  Groups: { attribute: 'displayName', what: 'group' },
  ServicePrincipals: {
    attribute: 'applicationId',
    what: 'service principal with application id',
  },
} as const;

async function find<K extends ScimKind>(
  client: RegistryClient,
  kind: K,
  name: string
) {
  const { attribute, what } = FIND[kind];
  const [found] = await client.listScim(kind, scimEquals(attribute, name));
  if (!found) {
    throw new CliError(`there is no ${what} ${name} on ${client.target.host}`);
  }
  return found;
}

const groupsCell = (groups: readonly { display: string }[]) =>
  groups.map((g) => g.display).join(', ');

function userRows(users: readonly ScimUser[]): string {
  return renderTable(
    ['USER NAME', 'DISPLAY NAME', 'ACTIVE', 'GROUPS'],
    users.map((u) => [
      u.userName,
      u.displayName,
      u.active ? 'yes' : 'no',
      groupsCell(u.groups),
    ])
  );
}

export async function whoami(context: Context): Promise<void> {
  const client = await context.client();
  const me = await client.me();
  context.emit(me, () =>
    renderFields([
      ['user name', me.userName],
      ['display name', me.displayName],
      ['application id', me.applicationId],
      ['groups', groupsCell(me.groups) || 'none (every principal is in users)'],
      ['registry', client.target.host],
    ])
  );
}

export async function usersList(context: Context): Promise<void> {
  const client = await context.client();
  const users = await client.listScim('Users', context.option('filter'));
  context.emit({ Resources: users }, () => userRows(users));
}

export async function usersCreate(context: Context): Promise<void> {
  const client = await context.client();
  const groups = await Promise.all(
    context.options('group').map((name) => find(client, 'Groups', name))
  );
  const user = await client.createScim('Users', {
    userName: context.arg('user-name'),
    displayName: context.option('display-name'),
    ...(groups.length > 0
      ? { groups: groups.map((g) => ({ value: g.id })) }
      : {}),
  });
  context.emit(
    user,
    () =>
      `created user ${user.userName}; give it a token with stagegate tokens create --user ${user.userName}`
  );
}

export async function usersShow(context: Context): Promise<void> {
  const client = await context.client();
  const user = await find(client, 'Users', context.arg('user-name'));
  context.emit(user, () => userRows([user]));
}

async function setActive(context: Context, active: boolean): Promise<void> {
  const client = await context.client();
  const found = await find(client, 'Users', context.arg('user-name'));
  const user = await client.patchScim('Users', found.id, [
    { op: 'replace', path: 'active', value: active },
  ]);
  context.emit(
    user,
    () => `${user.userName} is ${active ? 'active' : 'deactivated'}`
  );
}

export const usersActivate = (context: Context) => setActive(context, true);
export const usersDeactivate = (context: Context) => setActive(context, false);

export async function usersDelete(context: Context): Promise<void> {
  const client = await context.client();
  const user = await find(client, 'Users', context.arg('user-name'));
  await client.deleteScim('Users', user.id);
  context.emit({}, () => `deleted user ${user.userName} and its tokens`);
}

function groupRows(groups: readonly ScimGroup[]): string {
  return renderTable(
    ['GROUP', 'MEMBERS'],
    groups.map((g) => [
      g.displayName,
      g.members.map((m) => m.display).join(', '),
    ])
  );
}

export async function groupsList(context: Context): Promise<void> {
  const client = await context.client();
  const groups = await client.listScim('Groups');
  context.emit({ Resources: groups }, () => groupRows(groups));
}

export async function groupsCreate(context: Context): Promise<void> {
  const client = await context.client();
  const group = await client.createScim('Groups', {
    displayName: context.arg('name'),
  });
  context.emit(group, () => `created group ${group.displayName}`);
}

export async function groupsShow(context: Context): Promise<void> {
  const client = await context.client();
  const group = await find(client, 'Groups', context.arg('name'));
  context.emit(group, () => groupRows([group]));
}

/** The one member `--user` or `--service-principal` names. */
async function member(context: Context, client: RegistryClient) {
  const user = context.option('user');
  const application = context.option('service-principal');
  if ((user === undefined) === (application === undefined)) {
    throw new UsageError(
      'name exactly one of --user or --service-principal',
      context.invocation.command.words.join(' ')
    );
  }
  if (user !== undefined) {
    return { id: (await find(client, 'Users', user)).id, name: user };
  }
  const principal = await find(
    client,
    'ServicePrincipals',
    application as string
  );
  return { id: principal.id, name: principal.displayName };
}

async function changeMembers(context: Context, op: 'add' | 'remove') {
  const client = await context.client();
  const group = await find(client, 'Groups', context.arg('name'));
  const who = await member(context, client);
  const changed = await client.patchScim('Groups', group.id, [
    { op, path: 'members', value: [{ value: who.id }] },
  ]);
  context.emit(
    changed,
    () =>
      `${op === 'add' ? 'added' : 'removed'} ${who.name} ${op === 'add' ? 'to' : 'from'} group ${group.displayName}`
  );
}

export const groupsAdd = (context: Context) => changeMembers(context, 'add');
export const groupsRemove = (context: Context) =>
  changeMembers(context, 'remove');

export async function groupsDelete(context: Context): Promise<void> {
  const client = await context.client();
  const group = await find(client, 'Groups', context.arg('name'));
  await client.deleteScim('Groups', group.id);
  context.emit({}, () => `deleted group ${group.displayName}`);
}

function principalRows(principals: readonly ScimServicePrincipal[]): string {
  return renderTable(
    ['APPLICATION ID', 'DISPLAY NAME', 'ACTIVE', 'GROUPS'],
    principals.map((p) => [
      p.applicationId,
      p.displayName,
      p.active ? 'yes' : 'no',
      groupsCell(p.groups),
    ])
  );
}

export async function servicePrincipalsList(context: Context): Promise<void> {
  const client = await context.client();
  const principals = await client.listScim('ServicePrincipals');
  context.emit({ Resources: principals }, () => principalRows(principals));
}

export async function servicePrincipalsCreate(context: Context): Promise<void> {
  const client = await context.client();
  const principal = await client.createScim('ServicePrincipals', {
    displayName: context.arg('display-name'),
  });
  context.emit(principal, () =>
    [
      `created service principal ${principal.displayName}, application id ${principal.applicationId}`,
      `give it a token with stagegate tokens create --service-principal ${principal.applicationId}`,
    ].join('\n')
  );
}

export async function servicePrincipalsShow(context: Context): Promise<void> {
  const client = await context.client();
  const principal = await find(
    client,
    'ServicePrincipals',
    context.arg('application-id')
  );
  context.emit(principal, () => principalRows([principal]));
}

export async function servicePrincipalsDelete(context: Context): Promise<void> {
  const client = await context.client();
  const principal = await find(
    client,
    'ServicePrincipals',
    context.arg('application-id')
  );
  await client.deleteScim('ServicePrincipals', principal.id);
  context.emit(
    {},
    () => `deleted service principal ${principal.applicationId} and its tokens`
  );
}
