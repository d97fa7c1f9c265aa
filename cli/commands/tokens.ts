/** `tokens create|list|revoke`: yours, or (admins) anyone's. */
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { formatTimestamp, renderTable } from '../output.ts';

const UNITS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

/** `3600`, `45m`, `12h`, `90d`, `2w` → seconds. */
export function lifetimeSeconds(text: string): number {
  const match = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `--lifetime takes seconds or a duration such as 12h or 90d, not '${text}'`,
      'tokens create'
    );
  }
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

const expiry = (ms: number) => (ms < 0 ? 'never' : formatTimestamp(ms));

export async function create(context: Context): Promise<void> {
  const user = context.option('user');
  const application = context.option('service-principal');
  if (user !== undefined && application !== undefined) {
    throw new UsageError(
      'give --user or --service-principal, not both',
      'tokens create'
    );
  }
  const lifetime = context.option('lifetime');
  const input = {
    lifetimeSeconds:
      lifetime === undefined ? undefined : lifetimeSeconds(lifetime),
    comment: context.option('comment'),
  };
  const client = await context.client();
  const created =
    user === undefined && application === undefined
      ? await client.createToken(input)
      : await client.createTokenFor({
          ...input,
          userName: user,
          applicationId: application,
        });
  if (context.output === 'json') {
    context.printJson({
      token_value: created.value,
      token_info: created.info,
    });
    return;
  }
  context.info(
    `created token ${created.info.token_id}${user ? ` for ${user}` : application ? ` for service principal ${application}` : ''}, expires ${expiry(created.info.expiry_time)}; it is shown only now`
  );
  // stdout carries only the value: TOKEN=$(stagegate tokens create)
  context.print(created.value);
}

export async function list(context: Context): Promise<void> {
  const client = await context.client();
  if (context.flag('all')) {
    const tokens = await client.listAllTokens();
    context.emit({ token_infos: tokens }, () =>
      renderTable(
        ['TOKEN ID', 'OWNER ID', 'CREATED BY', 'CREATED', 'EXPIRES', 'COMMENT'],
        tokens.map((t) => [
          t.token_id,
          String(t.owner_id),
          t.created_by_username,
          formatTimestamp(t.creation_time),
          expiry(t.expiry_time),
          t.comment,
        ])
      )
    );
    return;
  }
  const tokens = await client.listTokens();
  context.emit({ token_infos: tokens }, () =>
    tokens.length === 0
      ? 'you have no tokens'
      : renderTable(
          ['TOKEN ID', 'CREATED', 'EXPIRES', 'COMMENT'],
          tokens.map((t) => [
            t.token_id,
            formatTimestamp(t.creation_time),
            expiry(t.expiry_time),
            t.comment,
          ])
        )
  );
}

export async function revoke(context: Context): Promise<void> {
  const client = await context.client();
  const id = context.arg('token-id');
  if (context.flag('all')) await client.revokeAnyToken(id);
  else await client.deleteToken(id);
  context.emit({}, () => `revoked token ${id}`);
}
