/**
 * The app's whole view layer: `h()` builds real DOM nodes. No virtual DOM:
 * a page renders once from its data and re-renders itself after a change,
 * which is plenty for tables of a few dozen rows and keeps the bundle small.
 */
export type Child =
  | Node
  | string
  | number
  | false
  | null
  | undefined
  | readonly Child[];

type Handler = (event: Event) => void;
export type Props = Record<
  string,
  string | number | boolean | Handler | null | undefined
>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'value' || name === 'checked') {
      (element as unknown as Record<string, unknown>)[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]) {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the node's children. */
export function mount(parent: Element, ...children: Child[]) {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A document-unique id, for `label for` and `aria-*` references. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field: the label names the control for assistive tech. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string
): HTMLElement {
  const id = control.id || uid('field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint && h('small', { id: hintId }, hint)
  );
}

export function formatTime(epochMs: number | undefined): string {
  if (!epochMs || epochMs < 0) return '—';
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 16);
}

/** Text shown to screen readers only (a table caption, a button's object). */
export function srOnly(text: string): HTMLElement {
  return h('span', { class: 'sr-only' }, text);
}
