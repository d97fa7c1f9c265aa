import { type ModelAccess, rootGrants, stageOfVersion } from '../access.ts';
import { allows } from '../authorization.ts';
import { InvalidParameterValueError } from '../errors.ts';
import {
  decodePageToken,
  encodePageToken,
  validateMaxResults,
} from '../pagination.ts';
import type { Principal } from '../principal.ts';
import type { Stage } from '../stages.ts';
import type {
  TransitionRequest,
  TransitionRequestSettings,
} from '../transition-request.ts';
import {
  type RequestDependencies,
  requestResource,
  settingsIn,
} from './requests.ts';

/** Page sizes of the inbox (docs/transition-requests.md). */
export const INBOX_PAGE = { defaultMaxResults: 100, maxMaxResults: 1000 };

/**
 * Open requests one call examines at most, whatever it finds: a caller who
 * may approve few of the registry's open requests gets a short (even
 * empty) page with a token to go on, instead of a call that reads them all.
 */
export const INBOX_EXAMINED_PER_CALL = 2000;

/** Open requests read per index query (and models per batch read). */
const INBOX_BATCH = 100;

/** A request in the caller's inbox, with what its view needs. */
export interface InboxEntry {
  readonly request: TransitionRequest;
  readonly model: ModelAccess;
  readonly currentStage: Stage;
  readonly settings: TransitionRequestSettings;
}

export interface InboxPage {
  readonly entries: readonly InboxEntry[];
  readonly nextPageToken?: string | undefined;
}

/**
 * The open requests of the whole registry that the caller may approve
 * (`registry:ApproveTransitionRequest`: the level their stages need,
 * separation of duties and protected stages, not approved by them yet),
 * newest first. Walks the index of pending requests newest first and asks
 * the one `authorize` of each, reading the models and their settings a
 * batch at a time, until the page is full, the index ends or the call has
 * examined {@link INBOX_EXAMINED_PER_CALL} requests; the token resumes
 * after the last request returned (or examined), so following the tokens
 * visits every request once.
 */
export async function listInbox(
  deps: Pick<RequestDependencies, 'store' | 'requests'>,
  caller: Principal,
  input: { maxResults?: number | undefined; pageToken?: string | undefined }
): Promise<InboxPage> {
  const maxResults = validateMaxResults(input.maxResults, INBOX_PAGE);
  let after = input.pageToken ? positionIn(input.pageToken) : undefined;
  const root = await rootGrants(deps.store);
  const found: { entry: InboxEntry; position: string }[] = [];
  let examined = 0;
  let exhausted = false;
  walk: while (examined < INBOX_EXAMINED_PER_CALL) {
    const page = await deps.requests.listOpenRequestsNewestFirst({
      after,
      limit: Math.min(INBOX_BATCH, INBOX_EXAMINED_PER_CALL - examined),
    });
    const modelIds = [
      ...new Set(page.requests.map(({ request }) => request.modelId)),
    ];
    const [records, settings] = await Promise.all([
      deps.store.getModelRecordsByIds(modelIds, { stages: true }),
      deps.requests.getSettingsOfModels(modelIds),
    ]);
    const recordOf = new Map(records.map((r) => [r.model.id, r]));
    for (const { request, position } of page.requests) {
      examined += 1;
      after = position;
      const record = recordOf.get(request.modelId);
      const currentStage = record && stageOfVersion(record, request.version);
      // A request whose version moved (or went) is being closed, not
      // decided.
      if (!record || currentStage !== request.fromStage) continue;
      const entry: InboxEntry = {
        request,
        model: { record, rootGrants: root },
        currentStage,
        settings: settingsIn(
          settings.models.get(request.modelId) ?? {},
          settings.registry
        ),
      };
      const resource = requestResource({ ...entry, to: request.toStage });
      if (allows(caller, 'registry:ApproveTransitionRequest', resource)) {
        found.push({ entry, position });
        // One beyond the page: there is a next page, and it is not empty.
        if (found.length > maxResults) break walk;
      }
    }
    if (page.exhausted) {
      exhausted = true;
      break;
    }
  }
  const page = found.slice(0, maxResults);
  const resumeAfter =
    found.length > maxResults
      ? page.at(-1)?.position
      : exhausted
        ? undefined
        : after;
  return {
    entries: page.map(({ entry }) => entry),
    ...(resumeAfter === undefined
      ? {}
      : { nextPageToken: encodePageToken({ after: resumeAfter }) }),
  };
}

function positionIn(pageToken: string): string {
  const { after } = decodePageToken(pageToken);
  if (after === undefined || after === '') {
    throw new InvalidParameterValueError(
      'Invalid page token: it is not an inbox page token.'
    );
  }
  return after;
}
