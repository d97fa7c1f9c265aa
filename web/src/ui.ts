import { ApiError } from './api.ts';
import { type Child, field, h, mount, uid } from './dom.ts';

/** A live region that announces the outcome of an action. */
export function alertBox(): HTMLElement & { show(error: unknown): void } {
  const box = h('p', { class: 'alert', role: 'alert' });
  box.hidden = true;
  return Object.assign(box, {
    show(error: unknown) {
      box.hidden = false;
      box.textContent = errorText(error);
    },
  });
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs an action from a button: the button is disabled while it runs, and
 * a refusal is shown in `alert` (never swallowed, never a console error).
 */
export async function act(
  button: HTMLButtonElement | null,
  alert: { show(error: unknown): void },
  action: () => Promise<void>
): Promise<boolean> {
  if (button) button.disabled = true;
  try {
    await action();
    return true;
  } catch (error) {
    alert.show(error);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

export function button(
  label: string,
  onClick: (event: Event) => void,
  props: Record<string, string | boolean | undefined> = {}
): HTMLButtonElement {
  return h('button', { type: 'button', ...props, onClick }, label);
}

/**
 * A modal dialog (the native `<dialog>`: focus moves in, Escape closes,
 * the rest of the page is inert, focus returns to the opener). `build`
 * gets `close` and returns the body.
 */
export function openDialog(
  title: string,
  build: (close: () => void) => Child
): HTMLDialogElement {
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId });
  const close = () => dialog.close();
  dialog.addEventListener('close', () => dialog.remove());
  mount(
    dialog,
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      button('Close', close, { class: 'secondary', 'aria-label': 'Close' })
    ),
    build(close)
  );
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * A form inside a dialog: fields, a submit button, and the refusal shown
 * in place when the registry says no (the dialog stays open).
 */
export function dialogForm(
  close: () => void,
  fields: Child[],
  submitLabel: string,
  submit: () => Promise<void>
): HTMLFormElement {
  const alert = alertBox();
  const submitButton = h('button', { type: 'submit' }, submitLabel);
  const form = h(
    'form',
    {
      onSubmit: (event: Event) => {
        event.preventDefault();
        void act(submitButton, alert, async () => {
          await submit();
          close();
        });
      },
    },
    fields,
    alert,
    h(
      'div',
      { class: 'actions' },
      submitButton,
      button('Cancel', close, { class: 'secondary' })
    )
  );
  return form;
}

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

export function stageSelect(exclude?: string): HTMLSelectElement {
  return h(
    'select',
    { name: 'stage' },
    STAGES.filter((stage) => stage !== exclude).map((stage) =>
      h('option', { value: stage }, stage)
    )
  );
}

export function textInput(
  name: string,
  props: Record<string, string | boolean | undefined> = {}
): HTMLInputElement {
  return h('input', { type: 'text', name, autocomplete: 'off', ...props });
}

export function checkbox(
  label: string,
  name: string
): HTMLElement & {
  input: HTMLInputElement;
} {
  const input = h('input', { type: 'checkbox', name, id: uid(name) });
  const wrapper = h(
    'div',
    { class: 'check' },
    input,
    h('label', { for: input.id }, label)
  );
  return Object.assign(wrapper, { input });
}

export { field };

/** Tags as `key = value` chips, each removable when `onDelete` is given. */
export function tagList(
  tags: readonly { key: string; value: string }[] | undefined,
  onDelete?: (key: string) => Promise<void>,
  alert?: { show(error: unknown): void }
): HTMLElement {
  if (!tags?.length) return h('p', { class: 'muted' }, 'No tags.');
  return h(
    'ul',
    { class: 'tags' },
    tags.map((tag) =>
      h(
        'li',
        null,
        h('span', { class: 'tag' }, `${tag.key} = ${tag.value}`),
        onDelete &&
          alert &&
          button(
            'Remove',
            (event) =>
              void act(
                event.currentTarget as HTMLButtonElement,
                alert,
                async () => onDelete(tag.key)
              ),
            { class: 'link', 'aria-label': `Remove tag ${tag.key}` }
          )
      )
    )
  );
}

/** A small inline form that adds a tag. */
export function tagForm(
  alert: { show(error: unknown): void },
  onAdd: (key: string, value: string) => Promise<void>
): HTMLFormElement {
  const key = textInput('key', { required: true });
  const value = textInput('value');
  const submit = h('button', { type: 'submit' }, 'Add tag');
  return h(
    'form',
    {
      class: 'inline',
      onSubmit: (event: Event) => {
        event.preventDefault();
        void act(submit, alert, () => onAdd(key.value.trim(), value.value));
      },
    },
    field('Tag key', key),
    field('Tag value', value),
    submit
  );
}

export function stageBadge(stage: string | undefined): HTMLElement {
  const name = stage || 'None';
  return h('span', { class: `stage stage-${name.toLowerCase()}` }, name);
}

export const LEVEL_NAMES: Record<string, string> = {
  CAN_READ: 'Can Read',
  CAN_EDIT: 'Can Edit',
  CAN_MANAGE_STAGING_VERSIONS: 'Can Manage Staging Versions',
  CAN_MANAGE_PRODUCTION_VERSIONS: 'Can Manage Production Versions',
  CAN_MANAGE: 'Can Manage',
  CAN_CREATE_REGISTERED_MODEL: 'Can Create Registered Model',
  NO_PERMISSIONS: 'No permissions',
};

export function levelName(level: string | undefined): string {
  return level ? (LEVEL_NAMES[level] ?? level) : '—';
}
