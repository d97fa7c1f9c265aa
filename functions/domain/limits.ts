/**
 * Input limits, following what MLflow's server enforces (and the column sizes
 * of its SQL store where the server itself is silent). README, "Limits".
 */
export const limits = {
  /** MLflow's `registered_models.name` is VARCHAR(256). */
  modelNameLength: 256,
  tagKeyLength: 250,
  tagValueLength: 5000,
  descriptionLength: 5000,
  /**
   * Not checked by MLflow's server, whose SQL columns would reject longer
   * values; bounded here so a value never reaches DynamoDB's key (2 KB) or
   * item (400 KB) limits as a 500.
   */
  runIdLength: 256,
  sourceLength: 4096,
  runLinkLength: 4096,
  /** At most this many tags per model or version (SageMaker's cap too). */
  tagsPerEntity: 50,
  /**
   * Tags live on their model's or version's item, which DynamoDB caps at
   * 400 KB counted in UTF-8 bytes: all tags of one object together stay
   * within this many bytes, leaving room for everything else on the item.
   */
  tagBytesPerEntity: 256 * 1024,
  searchModels: { defaultMaxResults: 100, maxMaxResults: 1000 },
  /**
   * The `filter` of both searches, checked before it is parsed (MLflow sets
   * no bound). Leaves room for `run_id IN (…)` with about 100 run ids, and
   * bounds what a LIKE costs on one value (like-pattern.ts), which a search
   * pays once per model or version it reads.
   */
  searchFilterLength: 4096,
  /** `AND`-ed clauses per filter; each is evaluated on every model read. */
  searchFilterClauses: 20,
  tokenCommentLength: 1000,
  /**
   * A token may live at most one year, or forever when no lifetime (or 0)
   * is given; a negative lifetime is refused.
   */
  tokenLifetimeSeconds: 365 * 24 * 3600,
} as const;
