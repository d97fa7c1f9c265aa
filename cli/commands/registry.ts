/**
 * Thin commands: one API call each (plus paging), printed as a table or,
 * with `--output json`, as the API objects.
 */
import type {
  ModelVersion,
  Page,
  RegisteredModel,
  RegistryClient,
} from '../client.ts';
import { ProtocolError } from '../client.ts';
import { UsageError } from '../errors.ts';
import type { Context } from '../main.ts';
import { canonicalStage, type Stage, versionNumber } from '../model-uri.ts';
import { cell, formatTimestamp, renderTable } from '../output.ts';

/** Every page of a paged listing, guarding against a token that never ends. */
export async function allPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextPageToken;
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new ProtocolError(
          'the registry returned the same page token twice'
        );
      }
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}

/** `name = '…'` in MLflow's filter grammar (a quote is doubled). */
export function nameFilter(name: string): string {
  return `name = '${name.replaceAll("'", "''")}'`;
}

export function versionArg(context: Context): string {
  const raw = context.arg('version');
  const version = versionNumber(raw);
  if (!version) {
    throw new UsageError(
      `version must be a positive number, not '${raw}'`,
      context.invocation.command.words.join(' ')
    );
  }
  return version;
}

export function stageArg(context: Context): Stage {
  const raw = context.arg('stage');
  const stage = canonicalStage(raw);
  if (!stage) {
    throw new UsageError(
      `unknown stage '${raw}': use None, Staging, Production or Archived`,
      context.invocation.command.words.join(' ')
    );
  }
  return stage;
}

function latestCell(model: RegisteredModel): string {
  return (model.latest_versions ?? [])
    .map((v) => `${v.current_stage}:${v.version}`)
    .join(' ');
}

export async function modelsList(context: Context): Promise<void> {
  const client = await context.client();
  const filter = context.option('filter');
  const models = await allPages((pageToken) =>
    client.searchRegisteredModels({ filter, maxResults: 1000, pageToken })
  );
  context.emit({ registered_models: models }, () => {
    if (models.length === 0) {
      context.info(
        `no registered models${filter ? ' match the filter' : ''} on ${client.target.host}`
      );
      return undefined;
    }
    return renderTable(
      ['NAME', 'LATEST VERSIONS', 'UPDATED', 'DESCRIPTION'],
      models.map((m) => [
        m.name,
        latestCell(m),
        formatTimestamp(m.last_updated_timestamp),
        cell(m.description),
      ])
    );
  });
}

function statusCell(version: ModelVersion): string {
  return version.status === 'READY'
    ? 'READY'
    : `${version.status}${version.status_message ? ` (${cell(version.status_message, 40)})` : ''}`;
}

/**
 * Where a version's files are, as a person reads it: the source it was
 * registered from, or, for files uploaded through the registry
 * (`stagegate-upload:<id>`, which names only the finished upload), the
 * managed location `get-download-uri` answers once it is READY.
 */
export function sourceCell(version: ModelVersion, modelId: string): string {
  if (!version.source?.startsWith('stagegate-upload:')) {
    return version.source ?? '';
  }
  switch (version.status) {
    case 'READY':
      return managedLocation(modelId, version.version);
    case 'PENDING_REGISTRATION':
      return 'uploaded, being registered';
    default:
      return 'uploaded, registration failed';
  }
}

/**
 * `mlflow-artifacts:/mlflow-registry/<model id>/<version>`: what the
 * registry's `get-download-uri` answers for a READY version it manages
 * (its documented form; an e2e test holds the two equal). Listing many
 * versions would otherwise take a call per version.
 */
function managedLocation(modelId: string, version: string): string {
  return `mlflow-artifacts:/mlflow-registry/${modelId}/${version}`;
}

export async function versionsList(context: Context): Promise<void> {
  const client = await context.client();
  const model = context.arg('model');
  // Search answers an empty list for a missing model; get names it (and
  // gives the id that managed locations carry).
  const { id } = await client.getRegisteredModelDatabricks(model);
  const versions = await allPages((pageToken) =>
    client.searchModelVersions({
      filter: nameFilter(model),
      orderBy: ['version_number DESC'],
      pageToken,
    })
  );
  context.emit({ model_versions: versions }, () => {
    if (versions.length === 0) {
      context.info(`registered model ${model} has no versions`);
      return undefined;
    }
    return renderTable(
      ['VERSION', 'STAGE', 'STATUS', 'CREATED', 'SOURCE'],
      versions.map((v) => [
        v.version,
        v.current_stage,
        statusCell(v),
        formatTimestamp(v.creation_timestamp),
        cell(sourceCell(v, id), 80),
      ])
    );
  });
}

export async function transition(context: Context): Promise<void> {
  const version = versionArg(context);
  const stage = stageArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const archive = context.flag('archive');
  const result = await client.transitionStage({
    name: model,
    version,
    stage,
    archiveExistingVersions: archive,
    comment: context.option('comment'),
  });
  context.emit(
    { model_version_databricks: result },
    () =>
      `${model} version ${result.version} is now in ${result.current_stage}${archive ? ' (the versions it replaced there are Archived)' : ''}`
  );
}

export async function request(context: Context): Promise<void> {
  const version = versionArg(context);
  const stage = stageArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const created = await client.createTransitionRequest({
    name: model,
    version,
    stage,
    comment: context.option('comment'),
  });
  context.emit(
    { request: created },
    () =>
      `requested ${created.to_stage} for ${model} version ${version}${created.id ? ` (request ${created.id})` : ''}`
  );
}

/** How long `approve` follows the application of the transition. */
const APPLY_WAIT_MS = 30_000;
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

/**
 * The registry answers an approval once it is committed; the request's
 * workflow then applies the transition (README, design notes). Polls the
 * version until it is in `stage` or the time is up, backing off from
 * 50 ms to 1 s.
 * @returns the stage last seen.
 */
async function waitForStage(
  client: RegistryClient,
  context: Context,
  model: string,
  version: string,
  stage: Stage
): Promise<string> {
  const deadline = context.now() + APPLY_WAIT_MS;
  let interval = FIRST_POLL_MS;
  for (;;) {
    const current = (await client.getModelVersion(model, version))
      .current_stage;
    const left = deadline - context.now();
    if (current === stage || left <= 0) return current;
    await context.sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
}

async function decide(context: Context, decision: 'approve' | 'reject') {
  const version = versionArg(context);
  const stage = stageArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const { activity, approvalsRemaining } = await client.decideTransitionRequest(
    decision,
    {
      name: model,
      version,
      stage,
      archiveExistingVersions: context.flag('archive'),
      comment: context.option('comment'),
      requestId: context.option('request-id'),
    }
  );
  if (context.output === 'json') {
    context.printJson({
      activity,
      ...(approvalsRemaining === undefined
        ? {}
        : { approvals_remaining: approvalsRemaining }),
    });
    return;
  }
  if (decision === 'reject') {
    context.print(
      `rejected the request to move ${model} version ${version} to ${stage}`
    );
    return;
  }
  if (approvalsRemaining !== undefined && approvalsRemaining > 0) {
    // A protected stage: the request stays open for the other approvers.
    context.print(
      `approved: the request to move ${model} version ${version} to ${stage} needs ${approvalsRemaining} more approval${approvalsRemaining === 1 ? '' : 's'} (by others than the requester and you) before it is applied`
    );
    return;
  }
  const reached = await waitForStage(client, context, model, version, stage);
  context.print(
    reached === stage
      ? `approved: ${model} version ${version} is now in ${stage}`
      : `approved: ${model} version ${version} is still in ${reached} after ${APPLY_WAIT_MS / 1000} s; the registry moves it to ${stage} when it applies the approval (follow it with stagegate versions show ${model} ${version})`
  );
}

export function approve(context: Context): Promise<void> {
  return decide(context, 'approve');
}

export function reject(context: Context): Promise<void> {
  return decide(context, 'reject');
}

/** Databricks' delete: cancels the caller's request (or `--creator`'s). */
export async function cancel(context: Context): Promise<void> {
  const version = versionArg(context);
  const stage = stageArg(context);
  const client = await context.client();
  const model = context.arg('model');
  const creator = context.option('creator') ?? (await client.me()).userName;
  const activity = await client.cancelTransitionRequest({
    name: model,
    version,
    stage,
    creator,
    comment: context.option('comment'),
    requestId: context.option('request-id'),
  });
  context.emit(
    { activity },
    () =>
      `cancelled ${creator}'s request to move ${model} version ${version} to ${stage}`
  );
}
