/**
 * `permissions show|grant|revoke`: a model's access control list, or root's
 * (`--root`: grants that apply to every model, and who may create models).
 */
import type {
  AccessControlRequest,
  Permissions,
  RegistryClient,
} from '../client.ts';
import { CliError, UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { renderTable } from '../output.ts';

const KINDS = {
  user: 'user_name',
  group: 'group_name',
  'service-principal': 'service_principal_name',
} as const;
type GranteeOption = keyof typeof KINDS;

/** The object the command is about: `root`, or a model's stable id. */
async function target(
  context: Context,
  client: RegistryClient
): Promise<{ id: string; label: string }> {
  const model = context.optionalArg('model');
  const name = context.invocation.command.words.join(' ');
  if (context.flag('root') === (model !== undefined)) {
    throw new UsageError('give a model, or --root (not both)', name);
  }
  if (model === undefined) return { id: 'root', label: 'root (every model)' };
  const { id } = await client.getRegisteredModelDatabricks(model);
  return { id, label: `model ${model}` };
}

/** The one grantee the options name. */
function grantee(context: Context): {
  field: (typeof KINDS)[GranteeOption];
  name: string;
} {
  const given = (Object.keys(KINDS) as GranteeOption[]).filter(
    (kind) => context.option(kind) !== undefined
  );
  const [kind] = given;
  if (given.length !== 1 || kind === undefined) {
    throw new UsageError(
      'name exactly one of --user, --group or --service-principal',
      context.invocation.command.words.join(' ')
    );
  }
  return { field: KINDS[kind], name: context.option(kind) as string };
}

/** `can-read`, `read`, `CAN_READ` → `CAN_READ`. */
export function permissionLevel(text: string): string {
  const level = text.trim().toUpperCase().replaceAll('-', '_');
  return level.startsWith('CAN_') ? level : `CAN_${level}`;
}

type Entry = Permissions['access_control_list'][number];

function entryName(entry: Entry): [string, string] {
  if (entry.user_name !== undefined) return [entry.user_name, 'user'];
  if (entry.group_name !== undefined) return [entry.group_name, 'group'];
  return [entry.service_principal_name ?? '', 'service principal'];
}

function render(permissions: Permissions, label: string): string {
  const rows = permissions.access_control_list.flatMap((entry) => {
    const [name, kind] = entryName(entry);
    return entry.all_permissions.map((grant) => [
      name,
      kind,
      grant.permission_level,
      grant.inherited
        ? grant.inherited_from_object?.includes('/registered-models/root')
          ? 'root'
          : 'admins group'
        : 'direct',
    ]);
  });
  return `${label}\n${renderTable(['PRINCIPAL', 'KIND', 'LEVEL', 'FROM'], rows)}`;
}

export async function show(context: Context): Promise<void> {
  const client = await context.client();
  const object = await target(context, client);
  const permissions = await client.getPermissions(object.id);
  context.emit(permissions, () => render(permissions, object.label));
}

export async function grant(context: Context): Promise<void> {
  const client = await context.client();
  const who = grantee(context);
  const level = permissionLevel(context.arg('level'));
  const object = await target(context, client);
  const permissions = await client.changePermissions(object.id, 'merge', [
    { [who.field]: who.name, permission_level: level },
  ]);
  context.emit(
    permissions,
    () => `granted ${level} on ${object.label} to ${who.name}`
  );
}

/**
 * Removes the grantee's direct grants: reads the list and puts it back
 * without them (the API has no removal of one entry). A change made by
 * someone else between the two calls is overwritten, as with the
 * Databricks CLI's set; inherited grants are not the object's to remove.
 */
export async function revoke(context: Context): Promise<void> {
  const client = await context.client();
  const who = grantee(context);
  const object = await target(context, client);
  const current = await client.getPermissions(object.id);
  const direct: AccessControlRequest[] = [];
  let found = false;
  for (const entry of current.access_control_list) {
    const mine = entry[who.field] === who.name;
    for (const permission of entry.all_permissions) {
      if (permission.inherited) continue;
      if (mine) {
        found = true;
        continue;
      }
      const [name] = entryName(entry);
      const field =
        entry.user_name !== undefined
          ? 'user_name'
          : entry.group_name !== undefined
            ? 'group_name'
            : 'service_principal_name';
      direct.push({
        [field]: name,
        permission_level: permission.permission_level,
      });
    }
  }
  if (!found) {
    throw new CliError(
      `${who.name} has no direct grant on ${object.label}; what it has is inherited (from root or the admins group)`
    );
  }
  const permissions = await client.changePermissions(
    object.id,
    'replace',
    direct
  );
  context.emit(
    permissions,
    () => `revoked the grants of ${who.name} on ${object.label}`
  );
}
