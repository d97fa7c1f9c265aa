/**
 * Input limits, following what MLflow's server enforces (and the column sizes
 * of its SQL store where the server itself is silent): docs/limits.md.
 *
 * Every string a request carries is bounded at the edge
 * (`functions/http/input-check.ts`) by the limit of its field, so nothing
 * unbounded reaches DynamoDB, whose keys hold 2048 bytes (partition) and
 * 1024 bytes (sort), and whose items hold 400 KB, all counted in UTF-8
 * bytes: a character limit of n is at most 3n bytes.
 */
export const limits = {
  /**
   * Nesting of a request's JSON (or query) input, the top-level object
   * being level 1. The deepest real request (a SCIM PATCH adding group
   * members) nests 6 levels; recursive code (validation, JSON.stringify)
   * then never meets a value deep enough to exhaust the stack.
   */
  jsonDepth: 16,
  /** MLflow's `registered_models.name` is VARCHAR(256). */
  modelNameLength: 256,
  tagKeyLength: 250,
  tagValueLength: 5000,
  descriptionLength: 5000,
  /**
   * Comments everywhere: on versions (`comments/*`), on transition
   * requests and their decisions, and on Databricks' `transition-stage`.
   */
  commentLength: 5000,
  /** MLflow's `registered_model_aliases.alias` is VARCHAR(256), checked at 255. */
  aliasLength: 255,
  /**
   * Not checked by MLflow's server, whose SQL columns would reject longer
   * values; bounded here so a value never reaches DynamoDB's key (2 KB) or
   * item (400 KB) limits as a 500.
   */
  runIdLength: 256,
  sourceLength: 4096,
  runLinkLength: 4096,
  /**
   * Any id a request names (SCIM resources, tokens, models by id,
   * comments, webhooks, uploads, transition requests): ours are at most
   * 36 characters; the cap keeps a key built from one within DynamoDB's
   * 1024-byte sort key even in 4-byte characters.
   */
  idLength: 256,
  /** User names, application ids, group and display names (SCIM). */
  principalNameLength: 256,
  /** Enumerations and short terms: stages, events, statuses, order_by, … */
  termLength: 256,
  /** Search filters (MLflow grammar, SCIM filters). */
  filterLength: 10_000,
  /** Page tokens are base64 of a cursor holding at most a name and a time. */
  pageTokenLength: 4096,
  /** Artifact paths (S3's key limit is 1024 bytes; paths.ts checks bytes). */
  artifactPathLength: 1024,
  /** Webhook URLs. */
  urlLength: 2048,
  /** An IP address or CIDR range (IPv6 with a prefix: at most 43). */
  ipAddressLength: 64,
  /** Webhook secrets, Authorization headers and job access tokens. */
  secretLength: 1024,
  /** Any other string field, and any field the operation does not know. */
  stringLength: 5000,
  /** Object keys (field names) anywhere in a request. */
  fieldNameLength: 256,
  /** At most this many tags per model or version (SageMaker's cap too). */
  tagsPerEntity: 50,
  /**
   * Tags live on their model's or version's item, which DynamoDB caps at
   * 400 KB counted in UTF-8 bytes: all tags of one object together stay
   * within this many bytes, leaving room for everything else on the item.
   *
   * The model item's budget, worst case: tags 192 KB, grants 40 KB,
   * aliases 100 × ~270 B = 27 KB, the stage sets of 10,000 versions
   * ~40 KB, description 15 KB, name and index keys ~3 KB: ~317 KB.
   */
  tagBytesPerEntity: 192 * 1024,
  /** Aliases of one model (a map on the model's item). */
  aliasesPerModel: 100,
  /**
   * The direct grants of one object (a model, or the registry root): their
   * grantee names and levels together, in UTF-8 bytes. About 900 grants
   * to e-mail-like user names.
   */
  aclBytesPerObject: 40 * 1024,
  /**
   * Versions a model can ever hold (numbers are never reused): the
   * model's item keeps a set of version numbers per stage.
   */
  versionsPerModel: 10_000,
  /**
   * Groups one principal is in: the principal's item keeps each group's
   * id and name (up to ~800 bytes each).
   */
  groupsPerPrincipal: 200,
  /** Members of one group: its item keeps their ids (17 bytes each). */
  membersPerGroup: 10_000,
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
