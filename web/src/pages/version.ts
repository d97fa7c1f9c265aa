import {
  TEMPORARY_PREFIX,
  UPLOAD_SOURCE_SCHEME,
} from '#domain/artifacts/paths.ts';
import {
  type Activity,
  call,
  type ModelVersion,
  type RegisteredModelDatabricks,
  type TransitionRequest,
} from '../api.ts';
import { field, formatTime, h, mount } from '../dom.ts';
import { modelHref, type Page } from '../page.ts';
import {
  act,
  alertBox,
  button,
  checkbox,
  dialogForm,
  openDialog,
  stageBadge,
  stageSelect,
  tagForm,
  tagList,
} from '../ui.ts';
import { descriptionEditor } from './model.ts';
import { requestRows } from './requests.ts';

interface FileEntry {
  path: string;
  size: number;
  sha256: string;
  /** Presigned GET, valid until the listing's `expires_at`. */
  url: string;
}

const ACTIVITY_TEXT: Record<string, string> = {
  REQUESTED_TRANSITION: 'requested a transition',
  APPROVED_REQUEST: 'approved the request',
  REJECTED_REQUEST: 'rejected the request',
  CANCELLED_REQUEST: 'cancelled the request',
  APPLIED_TRANSITION: 'transitioned the version',
  SYSTEM_TRANSITION: 'System transition',
  NEW_COMMENT: 'commented',
};

/** Levels that may move a version between stages (the API decides which). */
const TRANSITION_LEVELS = new Set([
  'CAN_MANAGE_STAGING_VERSIONS',
  'CAN_MANAGE_PRODUCTION_VERSIONS',
  'CAN_MANAGE',
]);

export const versionPage: Page = async (context, [name = '', version = '']) => {
  const { main, me, rerender } = context;
  document.title = `${name} version ${version} · stagegate`;
  const [
    { model_version: mv },
    { registered_model_databricks: model },
    activities,
    requests,
    caller,
  ] = await Promise.all([
    call<{ model_version: ModelVersion }>('getVersion', { name, version }),
    call<{ registered_model_databricks: RegisteredModelDatabricks }>(
      'getModel',
      { name }
    ),
    call<{ activities?: Activity[] }>('listActivities', { name, version }),
    call<{ requests?: TransitionRequest[] }>('listRequests', { name, version }),
    me,
  ]);
  const alert = alertBox();
  const files = h('div', null, h('p', { class: 'muted' }, 'Loading files…'));
  const canTransition = TRANSITION_LEVELS.has(model.permission_level ?? '');

  mount(
    main,
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'crumbs' },
      h('a', { href: '#/models' }, 'Models'),
      ' / ',
      h('a', { href: modelHref(name) }, name),
      ' / ',
      h('span', { 'aria-current': 'page' }, `Version ${version}`)
    ),
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, `${name} · Version ${version}`),
      stageBadge(mv.current_stage),
      h(
        'div',
        { class: 'actions' },
        button('Request transition', () => requestDialog(mv, rerender)),
        canTransition &&
          button('Transition', () => transitionDialog(mv, rerender), {
            class: 'secondary',
          })
      )
    ),
    alert,
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Status'),
      h(
        'dd',
        null,
        mv.status,
        mv.status_message ? ` — ${mv.status_message}` : ''
      ),
      h('dt', null, 'Source'),
      h('dd', null, h('code', null, mv.source || '—')),
      h('dt', null, 'Run'),
      h(
        'dd',
        null,
        mv.run_link
          ? h(
              'a',
              { href: mv.run_link, rel: 'noopener noreferrer' },
              mv.run_id || mv.run_link
            )
          : mv.run_id || '—'
      ),
      h('dt', null, 'Registered'),
      h('dd', null, `${formatTime(mv.creation_timestamp)} by ${mv.user_id}`),
      h('dt', null, 'Aliases'),
      h('dd', null, mv.aliases?.map((a) => `@${a}`).join(', ') || '—')
    ),
    h('h2', null, 'Pending requests'),
    requestRows(requests.requests ?? [], rerender, false),
    h('h2', null, 'Description'),
    descriptionEditor(mv.description, alert, async (description) => {
      await call('updateVersion', { name, version, description });
      rerender();
    }),
    h('h2', null, 'Tags'),
    tagList(
      mv.tags,
      async (key) => {
        await call('deleteVersionTag', { name, version, key });
        rerender();
      },
      alert
    ),
    tagForm(alert, async (key, value) => {
      await call('setVersionTag', { name, version, key, value });
      rerender();
    }),
    h('h2', null, 'Files'),
    files,
    h('h2', null, 'Activity'),
    timeline(activities.activities ?? [], caller.userName, alert, rerender),
    commentForm(name, version, alert, rerender)
  );
  if (hasManagedFiles(mv.source)) await loadFiles(files, name, version);
  else
    mount(
      files,
      h('p', null, 'Stored outside the registry, at the source above.')
    );
};

/**
 * Whether the version's files live in the registry's bucket (registered
 * from an upload), the only ones the files route lists.
 */
export function hasManagedFiles(source: string): boolean {
  return (
    source.toLowerCase().startsWith(`${UPLOAD_SOURCE_SCHEME}:`) ||
    (source.startsWith('s3://') && source.includes(`/${TEMPORARY_PREFIX}`))
  );
}

async function loadFiles(
  container: HTMLElement,
  name: string,
  version: string
) {
  try {
    const listed = await call<{ files?: FileEntry[] }>('listFiles', {
      name,
      version,
    });
    const entries = listed.files ?? [];
    mount(
      container,
      entries.length === 0
        ? h('p', { class: 'muted' }, 'No files.')
        : h(
            'ul',
            { class: 'files' },
            entries.map((file) =>
              h(
                'li',
                null,
                h(
                  'a',
                  { href: file.url, rel: 'noopener noreferrer' },
                  file.path
                ),
                ` (${file.size} bytes, SHA-256 ${file.sha256.slice(0, 12)}…)`
              )
            )
          )
    );
  } catch (error) {
    // Versions registered from an outside source have no managed files.
    mount(container, h('p', { class: 'muted' }, (error as Error).message));
  }
}

function timeline(
  activities: readonly Activity[],
  userName: string,
  alert: { show(error: unknown): void },
  changed: () => void
): HTMLElement {
  if (activities.length === 0)
    return h('p', { class: 'muted' }, 'No activity yet.');
  return h(
    'ol',
    { class: 'timeline' },
    activities.map((activity) => {
      const isComment = activity.activity_type === 'NEW_COMMENT';
      const own = isComment && activity.user_id === userName;
      const body = h(
        'div',
        { class: 'comment-body' },
        activity.comment && h('p', null, activity.comment)
      );
      return h(
        'li',
        { 'data-activity-type': activity.activity_type },
        h(
          'p',
          null,
          activity.activity_type === 'SYSTEM_TRANSITION'
            ? h('strong', null, 'System')
            : h('strong', null, activity.user_id),
          ` ${ACTIVITY_TEXT[activity.activity_type] ?? activity.activity_type}`,
          activity.to_stage && [
            ' ',
            stageBadge(activity.from_stage),
            ' → ',
            stageBadge(activity.to_stage),
          ],
          h(
            'span',
            { class: 'muted' },
            ` · ${formatTime(activity.creation_timestamp)}`
          ),
          activity.last_updated_timestamp !== activity.creation_timestamp &&
            isComment &&
            h('span', { class: 'muted' }, ' (edited)')
        ),
        body,
        activity.system_comment &&
          h('p', { class: 'muted' }, activity.system_comment),
        own &&
          h(
            'div',
            { class: 'actions' },
            button('Edit', () => editComment(body, activity, alert, changed), {
              class: 'link',
              'aria-label': 'Edit comment',
            }),
            button(
              'Delete',
              (event) =>
                void act(
                  event.currentTarget as HTMLButtonElement,
                  alert,
                  async () => {
                    await call('deleteComment', { id: activity.id });
                    changed();
                  }
                ),
              { class: 'link', 'aria-label': 'Delete comment' }
            )
          )
      );
    })
  );
}

function editComment(
  body: HTMLElement,
  activity: Activity,
  alert: { show(error: unknown): void },
  changed: () => void
) {
  const text = h(
    'textarea',
    { name: 'comment', rows: 3 },
    activity.comment ?? ''
  );
  const submit = h('button', { type: 'submit' }, 'Save comment');
  mount(
    body,
    h(
      'form',
      {
        onSubmit: (event: Event) => {
          event.preventDefault();
          void act(submit, alert, async () => {
            await call('updateComment', {
              id: activity.id,
              comment: text.value,
            });
            changed();
          });
        },
      },
      field('Edit comment', text),
      h(
        'div',
        { class: 'actions' },
        submit,
        button('Cancel', changed, { class: 'secondary' })
      )
    )
  );
  text.focus();
}

function commentForm(
  name: string,
  version: string,
  alert: { show(error: unknown): void },
  changed: () => void
): HTMLFormElement {
  const text = h('textarea', { name: 'new-comment', rows: 3, required: true });
  const submit = h('button', { type: 'submit' }, 'Add comment');
  return h(
    'form',
    {
      class: 'card',
      onSubmit: (event: Event) => {
        event.preventDefault();
        void act(submit, alert, async () => {
          await call('createComment', { name, version, comment: text.value });
          changed();
        });
      },
    },
    field('Add a comment', text),
    submit
  );
}

function requestDialog(version: ModelVersion, changed: () => void) {
  openDialog(
    `Request transition: ${version.name} version ${version.version}`,
    (close) => {
      const stage = stageSelect(version.current_stage);
      const comment = h('textarea', { name: 'comment', rows: 3 });
      return dialogForm(
        close,
        [field('To stage', stage), field('Comment (optional)', comment)],
        'Request',
        async () => {
          await call('createRequest', {
            name: version.name,
            version: version.version,
            stage: stage.value,
            comment: comment.value || undefined,
          });
          changed();
        }
      );
    }
  );
}

function transitionDialog(version: ModelVersion, changed: () => void) {
  openDialog(
    `Transition: ${version.name} version ${version.version}`,
    (close) => {
      const stage = stageSelect(version.current_stage);
      const archive = checkbox(
        'Archive the other versions in the target stage',
        'archive_existing_versions'
      );
      const comment = h('textarea', { name: 'comment', rows: 3 });
      return dialogForm(
        close,
        [
          field('To stage', stage),
          archive,
          field('Comment (optional)', comment),
        ],
        'Transition',
        async () => {
          await call('transitionStage', {
            name: version.name,
            version: version.version,
            stage: stage.value,
            archive_existing_versions: archive.input.checked,
            comment: comment.value || undefined,
          });
          changed();
        }
      );
    }
  );
}
