/** `models …`: registered models, their tags, aliases and request settings. */
import type { RegisteredModel } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { canonicalStage, versionNumber } from '../model-uri.ts';
import {
  cell,
  formatTimestamp,
  renderFields,
  renderTable,
  tagsCell,
} from '../output.ts';
import { modelsList } from './registry.ts';

export const list = modelsList;

/** `key=value` → a tag; the value may hold `=` and be empty. */
export function parseTag(text: string, command: string) {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw new UsageError(`a tag is key=value, not '${text}'`, command);
  }
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

function latest(model: RegisteredModel): string {
  return (model.latest_versions ?? [])
    .map((v) => `${v.current_stage}:${v.version}`)
    .join(' ');
}

export async function create(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const model = await client.createModel({
    name,
    description: context.option('description'),
    tags: context.options('tag').map((t) => parseTag(t, 'models create')),
  });
  context.emit(
    { registered_model: model },
    () => `created registered model ${model.name}`
  );
}

export async function show(context: Context): Promise<void> {
  const client = await context.client();
  const model = await client.getRegisteredModelDatabricks(context.arg('name'));
  context.emit({ registered_model_databricks: model }, () =>
    renderFields([
      ['name', model.name],
      ['id', model.id],
      ['your level', model.permission_level],
      ['description', cell(model.description, 200)],
      [
        'created',
        `${formatTimestamp(model.creation_timestamp)} by ${model.user_id}`,
      ],
      ['updated', formatTimestamp(model.last_updated_timestamp)],
      ['latest versions', latest(model) || 'none'],
      ['tags', tagsCell(model.tags)],
      [
        'aliases',
        (model.aliases ?? []).map((a) => `${a.alias}→${a.version}`).join(', '),
      ],
    ])
  );
}

export async function update(context: Context): Promise<void> {
  const description = context.option('description');
  if (description === undefined) {
    throw new UsageError(
      'nothing to change: give --description',
      'models update'
    );
  }
  const client = await context.client();
  const model = await client.updateRegisteredModel(
    context.arg('name'),
    description
  );
  context.emit(
    { registered_model: model },
    () => `updated the description of ${model.name}`
  );
}

export async function rename(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const model = await client.renameRegisteredModel(
    name,
    context.arg('new-name')
  );
  context.emit(
    { registered_model: model },
    () => `renamed ${name} to ${model.name}`
  );
}

export async function remove(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  await client.deleteRegisteredModel(name);
  context.emit({}, () => `deleted registered model ${name} and its versions`);
}

export async function tag(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const key = context.arg('key');
  await client.setModelTag(name, key, context.arg('value'));
  context.emit({}, () => `set tag ${key} on ${name}`);
}

export async function untag(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const key = context.arg('key');
  await client.deleteModelTag(name, key);
  context.emit({}, () => `deleted tag ${key} of ${name}`);
}

export async function alias(context: Context): Promise<void> {
  const name = context.arg('name');
  const aliasName = context.arg('alias');
  const version = versionNumber(context.arg('version'));
  if (!version) {
    throw new UsageError(
      `version must be a positive number, not '${context.arg('version')}'`,
      'models alias'
    );
  }
  const client = await context.client();
  await client.setAlias(name, aliasName, version);
  context.emit(
    {},
    () => `models:/${name}@${aliasName} is version ${version} now`
  );
}

export async function unalias(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const aliasName = context.arg('alias');
  await client.deleteAlias(name, aliasName);
  context.emit({}, () => `deleted alias ${aliasName} of ${name}`);
}

/** Shows the settings, or changes those given. */
export async function settings(context: Context): Promise<void> {
  const client = await context.client();
  const name = context.arg('name');
  const stagesText = context.option('separation-of-duties');
  const expiryText = context.option('request-expiry');
  let stages: string[] | undefined;
  if (stagesText !== undefined) {
    stages = stagesText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => {
        const stage = canonicalStage(s);
        if (!stage) {
          throw new UsageError(
            `unknown stage '${s}': use None, Staging, Production or Archived`,
            'models settings'
          );
        }
        return stage;
      });
  }
  if (expiryText !== undefined && !/^\d+$/.test(expiryText)) {
    throw new UsageError(
      `--request-expiry takes whole seconds, not '${expiryText}'`,
      'models settings'
    );
  }
  const result =
    stages === undefined && expiryText === undefined
      ? await client.getRequestSettings(name)
      : await client.setRequestSettings(name, {
          separation_of_duties_stages: stages,
          request_expiry_seconds:
            expiryText === undefined ? undefined : Number(expiryText),
        });
  context.emit({ settings: result }, () =>
    renderTable(
      ['MODEL', 'SEPARATION OF DUTIES', 'REQUEST EXPIRY'],
      [
        [
          result.name,
          result.separation_of_duties_stages.join(', ') || 'none',
          `${result.request_expiry_seconds} s`,
        ],
      ]
    )
  );
}
