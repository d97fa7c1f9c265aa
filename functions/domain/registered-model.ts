import { InvalidParameterValueError } from './errors.ts';
import { limits } from './limits.ts';
import { isWellFormed, wellFormed } from './text.ts';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** A registered model as the registry stores it (wire shapes live in http/). */
export interface RegisteredModel {
  /** Stable id (hex), Databricks' `registered_model_id`; survives renames. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  /** User name of the creator (Databricks fills `user_id`; MLflow leaves it out). */
  readonly userId: string;
  /** Ordered by key (they are stored as a map). */
  readonly tags: readonly Tag[];
  /** Ordered by alias. */
  readonly aliases: readonly Alias[];
}

export interface Alias {
  readonly alias: string;
  readonly version: number;
}

/** Tags and aliases come back ordered by key: byte order, as DynamoDB sorts. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b)));
}

export function validateModelName(name: string): string {
  if (name.length === 0) {
    throw new InvalidParameterValueError(
      'Registered model name cannot be empty.'
    );
  }
  if (name.length > limits.modelNameLength) {
    throw new InvalidParameterValueError(
      `Registered model name '${name.slice(0, 32)}…' is longer than ${limits.modelNameLength} characters.`
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidParameterValueError(
      'Registered model name must not contain control characters.'
    );
  }
  return name;
}

/**
 * MLflow's tag rules: keys are non-empty, at most 250 characters and path-safe
 * (no `..` segment, no leading `/`), values at most 5000 characters.
 */
export function validateTags(tags: readonly Tag[]): readonly Tag[] {
  if (tags.length > limits.tagsPerEntity) {
    throw new InvalidParameterValueError(
      `At most ${limits.tagsPerEntity} tags are allowed, got ${tags.length}.`
    );
  }
  const seen = new Set<string>();
  const unique: Tag[] = [];
  assertTagsFit(tags);
  for (const tag of tags) {
    validateTagKey(tag.key);
    validateTagValue(tag.key, tag.value);
    // The last value given for a key wins, as in MLflow's tag upsert.
    if (seen.has(tag.key)) {
      const index = unique.findIndex((t) => t.key === tag.key);
      unique[index] = tag;
    } else {
      seen.add(tag.key);
      unique.push(tag);
    }
  }
  return unique;
}

/**
 * DynamoDB counts item size in UTF-8 bytes, where MLflow's limits count
 * characters: 50 values of 5000 three-byte characters would overflow the
 * item. Refuse a set of tags whose bytes exceed the per-object budget.
 */
export function assertTagsFit(tags: readonly Tag[]): void {
  const bytes = tags.reduce(
    (sum, tag) =>
      sum + Buffer.byteLength(tag.key) + Buffer.byteLength(tag.value),
    0
  );
  if (bytes > limits.tagBytesPerEntity) {
    throw new InvalidParameterValueError(
      `The tags of one object may take at most ${limits.tagBytesPerEntity} bytes (UTF-8); these take ${bytes}.`
    );
  }
}

/** The tags after setting one, for checking them before the write. */
export function withTag(
  tags: readonly Tag[],
  key: string,
  value: string
): Tag[] {
  return [...tags.filter((t) => t.key !== key), { key, value }];
}

/**
 * The stored key a caller names. A key stored with a lone surrogate
 * (before the edge refused them) can no longer be sent as it is; it is
 * shown with U+FFFD in its place, and that form names it here.
 */
export function storedTagKey(tags: readonly Tag[], key: string): string {
  if (tags.some((tag) => tag.key === key)) return key;
  const stored = tags.find(
    (tag) => !isWellFormed(tag.key) && wellFormed(tag.key) === key
  );
  return stored?.key ?? key;
}

export function validateTagKey(key: string): void {
  if (key.length === 0) {
    throw new InvalidParameterValueError('Tag key cannot be empty.');
  }
  if (key.length > limits.tagKeyLength) {
    throw new InvalidParameterValueError(
      `Tag key '${key.slice(0, 32)}…' had length ${key.length}, which exceeded length limit of ${limits.tagKeyLength}`
    );
  }
  const segments = key.split('/');
  if (key.startsWith('/') || segments.includes('..') || key.includes('\0')) {
    throw new InvalidParameterValueError(
      `Invalid tag key '${key}'. Tag keys must not resolve to other names.`
    );
  }
}

export function validateTagValue(key: string, value: string): void {
  if (value.length > limits.tagValueLength) {
    throw new InvalidParameterValueError(
      `Tag value for key '${key}' had length ${value.length}, which exceeded length limit of ${limits.tagValueLength}`
    );
  }
}

export function validateDescription(description: string): string {
  if (description.length > limits.descriptionLength) {
    throw new InvalidParameterValueError(
      `Description had length ${description.length}, which exceeded length limit of ${limits.descriptionLength}`
    );
  }
  return description;
}
