/** `versions show|update|delete|tag|untag|activities`. */
import type { Activity } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import {
  cell,
  formatTimestamp,
  renderFields,
  renderTable,
  tagsCell,
} from '../output.ts';
import { versionArg } from './registry.ts';

export async function show(context: Context): Promise<void> {
  const client = await context.client();
  const model = context.arg('model');
  const version = await client.getModelVersion(model, versionArg(context));
  // Where the files are: the download URI of a READY version.
  const location =
    version.status === 'READY'
      ? await client.getDownloadUri(model, version.version)
      : undefined;
  context.emit({ model_version: version, artifact_uri: location }, () =>
    renderFields([
      ['model', version.name],
      ['version', version.version],
      ['stage', version.current_stage],
      [
        'status',
        `${version.status}${version.status_message ? ` (${version.status_message})` : ''}`,
      ],
      ['source', version.source],
      ['artifacts', location],
      ['run', version.run_id],
      ['description', cell(version.description, 200)],
      [
        'created',
        `${formatTimestamp(version.creation_timestamp)} by ${version.user_id}`,
      ],
      ['updated', formatTimestamp(version.last_updated_timestamp)],
      ['tags', tagsCell(version.tags)],
      ['aliases', (version.aliases ?? []).join(', ')],
    ])
  );
}

export async function update(context: Context): Promise<void> {
  const description = context.option('description');
  if (description === undefined) {
    throw new UsageError(
      'nothing to change: give --description',
      'versions update'
    );
  }
  const client = await context.client();
  const model = context.arg('model');
  const version = await client.updateModelVersion(
    model,
    versionArg(context),
    description
  );
  context.emit(
    { model_version: version },
    () => `updated the description of ${model} version ${version.version}`
  );
}

export async function remove(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  await client.deleteModelVersion(model, version);
  context.emit({}, () => `deleted ${model} version ${version}`);
}

export async function tag(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const key = context.arg('key');
  await client.setVersionTag(model, version, key, context.arg('value'));
  context.emit({}, () => `set tag ${key} on ${model} version ${version}`);
}

export async function untag(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const key = context.arg('key');
  await client.deleteVersionTag(model, version, key);
  context.emit({}, () => `deleted tag ${key} of ${model} version ${version}`);
}

/** What an activity did, in a few words. */
export function activityText(activity: Activity): string {
  const move =
    activity.from_stage || activity.to_stage
      ? ` ${activity.from_stage ?? '?'} → ${activity.to_stage ?? '?'}`
      : '';
  const text = [activity.comment, activity.system_comment]
    .filter(Boolean)
    .join(' — ');
  return `${activity.activity_type}${move}${text ? `: ${cell(text, 80)}` : ''}`;
}

export async function activities(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const feed = await client.listActivities(model, version);
  context.emit({ activities: feed }, () =>
    feed.length === 0
      ? `${model} version ${version} has no activities`
      : renderTable(
          ['TIME', 'BY', 'WHAT'],
          feed.map((a) => [
            formatTimestamp(a.creation_timestamp),
            a.user_id,
            activityText(a),
          ])
        )
  );
}
