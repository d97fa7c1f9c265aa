import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process registry that speaks the CLI's slice of the API, including
 * the artifact extension as specified for issue 6 (upload sessions with
 * presigned PUTs, multipart above a threshold, file listings with presigned
 * GETs). "Storage" is the same server under /storage, and it records what
 * arrives there, so tests can check the bytes, the headers and the
 * concurrency of the CLI's transfers.
 */
export interface FakeRegistryOptions {
  readonly token?: string;
  /** Files at least this large get multipart plans. */
  readonly multipartThreshold?: number;
  readonly partSize?: number;
  /** How `model-versions/get` ends a registration. */
  readonly registration?: 'READY' | 'FAILED_REGISTRATION';
  /** `get` calls answered PENDING_REGISTRATION before the outcome. */
  readonly pendingPolls?: number;
  /** `registered-models/search` page size. */
  readonly pageSize?: number;
  /** Storage PUTs that fail with 500 before succeeding (by PUT order). */
  readonly failingPuts?: number;
  /** Milliseconds storage waits before answering a PUT (to overlap parts). */
  readonly putDelayMs?: number;
  /** Storage refuses every PUT as S3 refuses an expired presigned URL. */
  readonly expiredUrls?: boolean;
  /**
   * `model-versions/get` calls that still show the old stage after an
   * approval (the registry's workflow applies it after the call answers);
   * `Infinity` for an approval never applied. @default 1
   */
  readonly approvalPolls?: number;
  /**
   * Approvals the registry still wants after an approve (a protected
   * stage): answered as `approvals_remaining`; above 0 nothing is applied.
   */
  readonly approvalsRemaining?: number;
  /** `transition-requests/inbox` page size. */
  readonly inboxPageSize?: number;
}

/** An open request as list and inbox answer it. */
export interface FakeRequest {
  readonly name: string;
  readonly version: string;
  readonly to_stage: string;
  readonly from_stage: string;
  readonly user_id: string;
  readonly creation_timestamp: number;
  readonly approvals_required: number;
  readonly approvals_remaining: number;
  readonly comment?: string;
}

interface Version {
  name: string;
  version: string;
  current_stage: string;
  status: string;
  status_message?: string;
  source: string;
  files: Map<string, Buffer>;
  polls: number;
  /** The stage an approval moves the version to, once applied. */
  approvedStage?: string;
}

interface Upload {
  readonly files: Map<string, { size: number; parts?: number }>;
}

export interface StorageRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly bytes: number;
}

/** A canned answer: status 200 unless given. */
export type Responder = (input: Record<string, unknown>) => {
  status?: number;
  body: unknown;
};

export class FakeRegistry {
  readonly token: string;
  readonly options: FakeRegistryOptions;
  readonly models = new Map<string, { description?: string }>();
  readonly versions: Version[] = [];
  readonly uploads = new Map<string, Upload>();
  /** Objects by key: `<upload>/<path>` or `<upload>/<path>#<part>`. */
  readonly objects = new Map<string, Buffer>();
  readonly storageRequests: StorageRequest[] = [];
  readonly apiRequests: { method: string; path: string; body: unknown }[] = [];
  /** Open requests, newest first (the inbox's order). */
  readonly openRequests: FakeRequest[] = [];
  /** Served instead of the real bytes (to test checksum verification). */
  readonly corruptDownloads = new Set<string>();
  /** Extra entries in the next file listing (to test path safety). */
  extraListing: { path: string; size: number; sha256: string; url: string }[] =
    [];
  /** Answers for routes the fake does not model, by `METHOD path`. */
  readonly #responders = new Map<string, Responder>();
  /** Called on each storage PUT (to interrupt a transfer mid-way). */
  onPut: (() => void) | undefined;
  maxConcurrentPuts = 0;
  #concurrentPuts = 0;
  #putCount = 0;
  #server = createServer((req, res) => {
    this.#handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(
        JSON.stringify({ error_code: 'INTERNAL_ERROR', message: String(error) })
      );
    });
  });
  url = '';

  constructor(options: FakeRegistryOptions = {}) {
    this.options = options;
    this.token = options.token ?? 'dapi0123456789abcdef0123456789abcdef';
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) =>
      this.#server.listen(0, '127.0.0.1', resolve)
    );
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /**
   * Answers `METHOD path` with what `responder` returns for the request's
   * input (query and body), recorded in `apiRequests` like any call.
   */
  respond(method: string, path: string, responder: Responder): this {
    this.#responders.set(`${method} ${path}`, responder);
    return this;
  }

  /** A READY version with the given files, as if registered earlier. */
  addVersion(
    name: string,
    files: Record<string, Buffer>,
    stage = 'None'
  ): Version {
    if (!this.models.has(name)) this.models.set(name, {});
    const version: Version = {
      name,
      version: String(this.versions.filter((v) => v.name === name).length + 1),
      current_stage: stage,
      status: 'READY',
      source: 'stagegate-upload:seeded',
      files: new Map(Object.entries(files)),
      polls: 0,
    };
    this.versions.push(version);
    return version;
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (url.pathname.startsWith('/storage/')) {
      return this.#storage(req, res, url, raw);
    }
    const json = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, error_code: string, message: string) =>
      json(status, { error_code, message });
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return fail(401, 'UNAUTHENTICATED', 'Invalid access token.');
    }
    const body =
      raw.length > 0
        ? (JSON.parse(raw.toString()) as Record<string, unknown>)
        : {};
    const query: Record<string, unknown> = {};
    for (const [key, value] of url.searchParams) {
      const existing = query[key];
      query[key] =
        existing === undefined
          ? value
          : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const input: Record<string, unknown> =
      req.method === 'GET' || req.method === 'DELETE'
        ? { ...query, ...body }
        : body;
    this.apiRequests.push({
      method: req.method ?? '',
      path: url.pathname,
      body: input,
    });
    const responder = this.#responders.get(`${req.method} ${url.pathname}`);
    if (responder) {
      const answer = responder(input);
      return json(answer.status ?? 200, answer.body);
    }
    const name = String(input.name ?? '');
    const modelMissing = () =>
      fail(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`
      );
    const findVersion = () =>
      this.versions.find(
        (v) => v.name === name && v.version === String(input.version)
      );
    const versionJson = (v: Version) => {
      const {
        files: _files,
        polls: _polls,
        approvedStage: _approvedStage,
        ...fields
      } = v;
      return fields;
    };

    switch (`${req.method} ${url.pathname}`) {
      case 'GET /api/2.0/mlflow/registered-models/get':
        if (!this.models.has(name)) return modelMissing();
        return json(200, { registered_model: { name } });
      case 'GET /api/2.0/mlflow/databricks/registered-models/get':
        if (!this.models.has(name)) return modelMissing();
        return json(200, {
          registered_model_databricks: { name, id: `id-${name}` },
        });
      case 'POST /api/2.0/mlflow/registered-models/create':
        if (this.models.has(name)) {
          return fail(
            400,
            'RESOURCE_ALREADY_EXISTS',
            `Registered Model (name=${name}) already exists.`
          );
        }
        this.models.set(name, {});
        return json(200, { registered_model: { name } });
      case 'GET /api/2.0/mlflow/registered-models/search': {
        const size = this.options.pageSize ?? 100;
        const start = Number(query.page_token ?? 0);
        const names = [...this.models.keys()].sort();
        const page = names.slice(start, start + size);
        return json(200, {
          ...(page.length > 0
            ? { registered_models: page.map((n) => ({ name: n })) }
            : {}),
          ...(start + size < names.length
            ? { next_page_token: String(start + size) }
            : {}),
        });
      }
      case 'POST /api/2.0/mlflow/registered-models/get-latest-versions': {
        if (!this.models.has(name)) return modelMissing();
        const stages = (body.stages as string[] | undefined) ?? [];
        const latest = new Map<string, Version>();
        for (const v of this.versions.filter((x) => x.name === name)) {
          if (stages.length > 0 && !stages.includes(v.current_stage)) continue;
          latest.set(v.current_stage, v);
        }
        const list = [...latest.values()].map(versionJson);
        return json(200, list.length > 0 ? { model_versions: list } : {});
      }
      case 'POST /api/2.0/mlflow/model-versions/create': {
        if (!this.models.has(name)) return modelMissing();
        const source = String(body.source);
        const id = source.replace(/^stagegate-upload:/, '');
        const upload = this.uploads.get(id);
        if (!upload)
          return fail(
            400,
            'INVALID_PARAMETER_VALUE',
            `unknown source ${source}`
          );
        const files = new Map<string, Buffer>();
        for (const path of upload.files.keys()) {
          files.set(path, this.objects.get(`${id}/${path}`) ?? Buffer.alloc(0));
        }
        const version: Version = {
          name,
          version: String(
            this.versions.filter((v) => v.name === name).length + 1
          ),
          current_stage: 'None',
          status: 'PENDING_REGISTRATION',
          source,
          files,
          polls: 0,
        };
        this.versions.push(version);
        return json(200, { model_version: versionJson(version) });
      }
      case 'GET /api/2.0/mlflow/model-versions/get': {
        if (!this.models.has(name)) return modelMissing();
        const version = findVersion();
        if (!version) {
          return fail(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `Model Version (name=${name}, version=${String(input.version)}) not found`
          );
        }
        if (version.approvedStage !== undefined) {
          version.polls++;
          if (version.polls > (this.options.approvalPolls ?? 1)) {
            version.current_stage = version.approvedStage;
            version.approvedStage = undefined;
          }
        }
        if (version.status === 'PENDING_REGISTRATION') {
          version.polls++;
          if (version.polls > (this.options.pendingPolls ?? 1)) {
            version.status = this.options.registration ?? 'READY';
            if (version.status === 'FAILED_REGISTRATION') {
              version.status_message = 'checksum of weights.bin does not match';
            }
          }
        }
        return json(200, { model_version: versionJson(version) });
      }
      case 'POST /api/2.0/mlflow/transition-requests/approve': {
        const version = findVersion();
        if (!version) return fail(404, 'RESOURCE_DOES_NOT_EXIST', 'no request');
        const remaining = this.options.approvalsRemaining;
        if (!remaining) {
          version.approvedStage = String(body.stage);
          version.polls = 0;
        }
        return json(200, {
          ...(remaining === undefined
            ? {}
            : {
                approvals_required: remaining + 1,
                approvals_remaining: remaining,
              }),
          activity: {
            id: 'a1',
            activity_type: 'APPROVED_REQUEST',
            from_stage: version.current_stage,
            to_stage: String(body.stage),
            user_id: 'admin',
            creation_timestamp: 1,
            last_updated_timestamp: 1,
          },
        });
      }
      case 'GET /api/2.0/mlflow/transition-requests/list': {
        if (!this.models.has(name)) return modelMissing();
        const listed = this.openRequests.filter(
          (r) =>
            r.name === name &&
            (query.version === undefined || r.version === query.version)
        );
        return json(200, listed.length > 0 ? { requests: listed } : {});
      }
      case 'GET /api/2.0/stagegate/transition-requests/inbox': {
        const size = this.options.inboxPageSize ?? 1000;
        const start = Number(query.page_token ?? 0);
        const page = this.openRequests.slice(start, start + size);
        return json(200, {
          ...(page.length > 0 ? { requests: page } : {}),
          ...(start + size < this.openRequests.length
            ? { next_page_token: String(start + size) }
            : {}),
        });
      }
      case 'POST /api/2.0/stagegate/uploads/create': {
        // As the registry: an upload is for a version of an existing model.
        if (!this.models.has(name)) return modelMissing();
        const id = `up${this.uploads.size + 1}`;
        const threshold = this.options.multipartThreshold ?? 64 * 1024 * 1024;
        const partSize = this.options.partSize ?? 16 * 1024 * 1024;
        const files = new Map<string, { size: number; parts?: number }>();
        const plan = (body.files as { path: string; size: number }[]).map(
          (file) => {
            if (file.size < threshold) {
              files.set(file.path, { size: file.size });
              return {
                path: file.path,
                url: `${this.url}/storage/${id}/${file.path}?X-Amz-Signature=secret`,
              };
            }
            const count = Math.ceil(file.size / partSize);
            files.set(file.path, { size: file.size, parts: count });
            return {
              path: file.path,
              multipart_upload_id: `mp-${file.path}`,
              part_size: partSize,
              parts: Array.from({ length: count }, (_, i) => ({
                part_number: i + 1,
                url: `${this.url}/storage/${id}/${file.path}?partNumber=${i + 1}&X-Amz-Signature=secret`,
              })),
            };
          }
        );
        this.uploads.set(id, { files });
        return json(200, {
          upload_id: id,
          files: plan,
          expires_at: Date.parse('2030-01-01T00:00:00Z'),
        });
      }
      case 'POST /api/2.0/stagegate/uploads/complete': {
        const id = String(body.upload_id);
        const upload = this.uploads.get(id);
        if (!upload)
          return fail(404, 'RESOURCE_DOES_NOT_EXIST', 'no such upload');
        for (const file of body.files as {
          path: string;
          size: number;
          sha256: string;
          parts?: { part_number: number; etag: string }[];
        }[]) {
          const planned = upload.files.get(file.path);
          if (!planned)
            return fail(
              400,
              'INVALID_PARAMETER_VALUE',
              `unplanned ${file.path}`
            );
          let bytes: Buffer;
          if (planned.parts !== undefined) {
            const parts = (file.parts ?? []).map((p) => {
              const part =
                this.objects.get(`${id}/${file.path}#${p.part_number}`) ??
                Buffer.alloc(0);
              if (etag(part) !== p.etag)
                throw new Error(`etag of part ${p.part_number}`);
              return part;
            });
            if (parts.length !== planned.parts) {
              return fail(
                400,
                'INVALID_PARAMETER_VALUE',
                `${file.path}: ${parts.length} parts`
              );
            }
            bytes = Buffer.concat(parts);
            this.objects.set(`${id}/${file.path}`, bytes);
          } else {
            bytes = this.objects.get(`${id}/${file.path}`) ?? Buffer.alloc(0);
          }
          if (bytes.length !== file.size || sha256(bytes) !== file.sha256) {
            return fail(
              400,
              'INVALID_PARAMETER_VALUE',
              `${file.path}: size or checksum mismatch`
            );
          }
        }
        return json(200, { upload_id: id, source: `stagegate-upload:${id}` });
      }
      case 'GET /api/2.0/stagegate/model-versions/files': {
        if (!this.models.has(name)) return modelMissing();
        const version = findVersion();
        if (!version)
          return fail(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            'Model Version not found'
          );
        const key = `v/${name}/${version.version}`;
        const files = [...version.files].map(([path, bytes]) => {
          this.objects.set(`${key}/${path}`, bytes);
          return {
            path,
            size: bytes.length,
            sha256: sha256(bytes),
            url: `${this.url}/storage/${key}/${path}?X-Amz-Signature=secret`,
          };
        });
        return json(200, { files: [...files, ...this.extraListing] });
      }
      default:
        return fail(
          404,
          'ENDPOINT_NOT_FOUND',
          `No API endpoint ${req.method} ${url.pathname}`
        );
    }
  }

  async #storage(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer
  ) {
    const path = decodeURIComponent(url.pathname.slice('/storage/'.length));
    this.storageRequests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      bytes: raw.length,
    });
    if (req.method === 'GET') {
      const bytes = this.objects.get(path);
      if (!bytes) {
        res.statusCode = 404;
        return res.end(
          '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>'
        );
      }
      const [, , , ...rest] = path.split('/');
      const served = this.corruptDownloads.has(rest.join('/'))
        ? Buffer.from(bytes).fill(0x21, 0, Math.min(4, bytes.length))
        : bytes;
      res.setHeader('content-length', served.length);
      return res.end(served);
    }
    this.#concurrentPuts++;
    this.maxConcurrentPuts = Math.max(
      this.maxConcurrentPuts,
      this.#concurrentPuts
    );
    try {
      await new Promise((r) => setTimeout(r, this.options.putDelayMs ?? 0));
      if (this.options.expiredUrls) {
        res.statusCode = 403;
        return res.end(
          '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'
        );
      }
      if (this.#putCount++ < (this.options.failingPuts ?? 0)) {
        res.statusCode = 500;
        return res.end(
          '<Error><Code>InternalError</Code><Message>try again</Message></Error>'
        );
      }
      const part = url.searchParams.get('partNumber');
      this.objects.set(part ? `${path}#${part}` : path, raw);
      res.setHeader('etag', etag(raw));
      res.end();
    } finally {
      this.#concurrentPuts--;
    }
    this.onPut?.();
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function etag(bytes: Buffer): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}
