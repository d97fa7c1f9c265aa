import type { Me } from './api.ts';

export interface PageContext {
  /** Where the page renders (the `<main>` landmark). */
  readonly main: HTMLElement;
  /** The signed-in caller (SCIM `Me`), asked alongside the page's calls. */
  readonly me: Promise<Me>;
  /** The query part of the hash (`#/models?filter=…`). */
  readonly query: URLSearchParams;
  /** Renders the current route again (after a change). */
  readonly rerender: () => void;
}

/** A page: renders into `context.main` from its decoded path parameters. */
export type Page = (context: PageContext, params: string[]) => Promise<void>;

/** Hash link to a model or a version (the URL shapes in docs/web.md). */
export function modelHref(name: string): string {
  return `#/models/${encodeURIComponent(name)}`;
}

export function versionHref(name: string, version: string): string {
  return `${modelHref(name)}/versions/${encodeURIComponent(version)}`;
}
