/** `comments list|add|edit|delete`: a version's discussion. */
import type { Context } from '../main.ts';
import { formatTimestamp, renderTable } from '../output.ts';
import { versionArg } from './registry.ts';

/** The feed's NEW_COMMENT activities: a comment's id is its activity's. */
export async function list(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const comments = (await client.listActivities(model, version)).filter(
    (a) => a.activity_type === 'NEW_COMMENT'
  );
  context.emit({ comments }, () =>
    comments.length === 0
      ? `${model} version ${version} has no comments`
      : renderTable(
          ['ID', 'TIME', 'BY', 'COMMENT'],
          comments.map((c) => [
            c.id,
            formatTimestamp(c.creation_timestamp),
            c.user_id,
            (c.comment ?? '').replace(/\s+/g, ' '),
          ])
        )
  );
}

export async function add(context: Context): Promise<void> {
  const version = versionArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const comment = await client.createComment(
    model,
    version,
    context.arg('text')
  );
  context.emit(
    { comment },
    () => `commented on ${model} version ${version} (comment ${comment.id})`
  );
}

export async function edit(context: Context): Promise<void> {
  const client = await context.client();
  const comment = await client.updateComment(
    context.arg('id'),
    context.arg('text')
  );
  context.emit({ comment }, () => `changed comment ${comment.id}`);
}

export async function remove(context: Context): Promise<void> {
  const client = await context.client();
  const id = context.arg('id');
  await client.deleteComment(id);
  context.emit({}, () => `deleted comment ${id}`);
}
