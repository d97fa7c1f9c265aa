import { afterAll, describe, expect, it } from 'vitest';
import { PERMISSION_LEVELS } from '#domain/permissions.ts';
import { isAdminRoute, routes } from '#http/routes.ts';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  type AccessControlRequest,
  adminsGroup,
  createGroup,
  createServicePrincipalWithToken,
  createUserWithToken,
  type Group,
  grant,
  granteeOf,
  modelId,
  PERMISSIONS,
  type RegisteredModelPermissions,
  setMembership,
} from './support/principals.ts';

type AclEntry = RegisteredModelPermissions['access_control_list'][number];

/** Root grants this file added; `afterAll` takes them out again. */
const rootGroups: Group[] = [];

async function createModel(
  options: {
    name?: string;
    token?: string;
    versions?: number;
    body?: Record<string, unknown>;
  } = {}
): Promise<{ name: string; id: string }> {
  const name = options.name ?? uniqueName('perm');
  const created = await call('POST', `${MLFLOW}/registered-models/create`, {
    body: { name, ...options.body },
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  for (let index = 1; index <= (options.versions ?? 0); index += 1) {
    const version = await call('POST', `${MLFLOW}/model-versions/create`, {
      body: { name, source: `s3://perm/${name}/${index}` },
    });
    expect(version.status).toBe(200);
  }
  return { name, id: await modelId(name) };
}

function getModel(name: string, token?: string) {
  return call('GET', `${MLFLOW}/registered-models/get`, {
    query: { name },
    ...(token === undefined ? {} : { token }),
  });
}

function getPermissions(id: string, token?: string) {
  return call<RegisteredModelPermissions>('GET', `${PERMISSIONS}/${id}`, {
    ...(token === undefined ? {} : { token }),
  });
}

/** Who an entry names, as `kind:name`. */
function who(entry: AclEntry | AccessControlRequest): string {
  if ('user_name' in entry && entry.user_name !== undefined) {
    return `user:${entry.user_name}`;
  }
  if ('group_name' in entry && entry.group_name !== undefined) {
    return `group:${entry.group_name}`;
  }
  if (
    'service_principal_name' in entry &&
    entry.service_principal_name !== undefined
  ) {
    return `service_principal:${entry.service_principal_name}`;
  }
  throw new Error(`entry names no grantee: ${JSON.stringify(entry)}`);
}

/** An object's direct grants as `kind:name → level`, sorted. */
function directGrants(acl: RegisteredModelPermissions): string[] {
  return acl.access_control_list
    .flatMap((entry) =>
      entry.all_permissions
        .filter((permission) => !permission.inherited)
        .map((permission) => `${who(entry)} → ${permission.permission_level}`)
    )
    .sort();
}

/** The direct grants of an object, as a request that would restore them. */
function asRequest(acl: RegisteredModelPermissions): AccessControlRequest[] {
  return acl.access_control_list.flatMap((entry) =>
    entry.all_permissions
      .filter((permission) => !permission.inherited)
      .map((permission) => {
        const [kind, ...rest] = who(entry).split(':');
        const name = rest.join(':');
        const grantee =
          kind === 'user'
            ? { user_name: name }
            : kind === 'group'
              ? { group_name: name }
              : { service_principal_name: name };
        return {
          ...grantee,
          permission_level: permission.permission_level,
        } as AccessControlRequest;
      })
  );
}

async function rootAcl(): Promise<RegisteredModelPermissions> {
  const root = await getPermissions('root');
  expect(root.status).toBe(200);
  return root.body;
}

/** A root grant to a dedicated group (PATCH, so nothing else changes). */
async function grantOnRoot(
  group: Group,
  level: AccessControlRequest['permission_level']
) {
  rootGroups.push(group);
  const patched = await grant(
    'root',
    [{ group_name: group.displayName, permission_level: level }],
    'PATCH'
  );
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
}

function expectDenied(response: ApiResponse) {
  expect(response.status, JSON.stringify(response.body)).toBe(403);
  expect(response.body.error_code).toBe('PERMISSION_DENIED');
}

/**
 * Repeats a request until `done` holds or `withinMs` passes, and returns
 * the last answer with the time it took.
 */
async function poll<T>(
  request: () => Promise<ApiResponse<T>>,
  done: (response: ApiResponse<T>) => boolean,
  withinMs: number
): Promise<{ response: ApiResponse<T>; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const response = await request();
    const elapsedMs = Date.now() - started;
    if (done(response) || elapsedMs > withinMs) return { response, elapsedMs };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  if (rootGroups.length === 0) return;
  const ours = new Set(rootGroups.map((g) => `group:${g.displayName}`));
  const current = await rootAcl();
  await grant(
    'root',
    asRequest(current).filter((entry) => !ours.has(who(entry))),
    'PUT'
  );
});

describe('Registered model permissions', () => {
  describe('the creator', () => {
    it('gets Can Manage as a direct grant when a service principal creates a model', async () => {
      // Prepare
      const robot = await createServicePrincipalWithToken();
      const name = uniqueName('perm-creator');

      // Act
      const created = await call('POST', `${MLFLOW}/registered-models/create`, {
        token: robot.token,
        body: { name },
      });
      const got = await call<{
        registered_model_databricks: { id: string; permission_level: string };
      }>('GET', `${MLFLOW}/databricks/registered-models/get`, {
        token: robot.token,
        query: { name },
      });
      const acl = await getPermissions(
        got.body.registered_model_databricks.id,
        robot.token
      );

      // Assess
      expect(created.status).toBe(200);
      expect(got.status).toBe(200);
      expect(got.body.registered_model_databricks.permission_level).toBe(
        'CAN_MANAGE'
      );
      expect(acl.status).toBe(200);
      expect(acl.body.access_control_list).toContainEqual({
        service_principal_name: robot.applicationId,
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: false }],
      });
    });
  });

  describe('admins', () => {
    it('lets an admin without any grant do everything on a model', async () => {
      // Prepare
      const owner = await createUserWithToken();
      const model = await createModel({ token: owner.token });
      const before = await getPermissions(model.id);
      const created = await call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name: model.name, source: 's3://perm/admin/1' },
      });

      // Act
      const level = await call<{
        registered_model_databricks: { permission_level: string };
      }>('GET', `${MLFLOW}/databricks/registered-models/get`, {
        query: { name: model.name },
      });
      const described = await call(
        'PATCH',
        `${MLFLOW}/registered-models/update`,
        { body: { name: model.name, description: 'by the admin' } }
      );
      const tagged = await call('POST', `${MLFLOW}/registered-models/set-tag`, {
        body: { name: model.name, key: 'k', value: 'v' },
      });
      const toProduction = await call(
        'POST',
        `${MLFLOW}/model-versions/transition-stage`,
        { body: { name: model.name, version: '1', stage: 'Production' } }
      );
      const archived = await call(
        'POST',
        `${MLFLOW}/model-versions/transition-stage`,
        { body: { name: model.name, version: '1', stage: 'Archived' } }
      );
      const permitted = await grant(
        model.id,
        [{ user_name: owner.userName, permission_level: 'CAN_MANAGE' }],
        'PATCH'
      );
      const newName = `${model.name}-renamed`;
      const renamed = await call('POST', `${MLFLOW}/registered-models/rename`, {
        body: { name: model.name, new_name: newName },
      });
      const versionDeleted = await call(
        'DELETE',
        `${MLFLOW}/model-versions/delete`,
        { query: { name: newName, version: '1' } }
      );
      const deleted = await call(
        'DELETE',
        `${MLFLOW}/registered-models/delete`,
        {
          query: { name: newName },
        }
      );

      // Assess
      expect(directGrants(before.body)).toEqual([
        `user:${owner.userName} → CAN_MANAGE`,
      ]);
      expect(created.status).toBe(200);
      expect(level.body.registered_model_databricks.permission_level).toBe(
        'CAN_MANAGE'
      );
      expect(
        [
          described,
          tagged,
          toProduction,
          archived,
          permitted,
          renamed,
          versionDeleted,
          deleted,
        ].map((response) => response.status)
      ).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
      expect((await getModel(newName)).status).toBe(404);
    });

    it('lets a service principal in admins manage any model, and refuses it on the next request after removal', async () => {
      // Prepare
      const robot = await createServicePrincipalWithToken();
      const model = await createModel();
      const admins = await adminsGroup();
      const updateDescription = (description: string) =>
        call('PATCH', `${MLFLOW}/registered-models/update`, {
          token: robot.token,
          body: { name: model.name, description },
        });
      const before = await updateDescription('before');

      try {
        // Act
        await setMembership(admins, robot.id, true);
        const asAdmin = await updateDescription('as admin');
        const asAdminAcl = await grant(
          model.id,
          [
            {
              service_principal_name: robot.applicationId,
              permission_level: 'CAN_READ',
            },
          ],
          'PATCH',
          robot.token
        );
        await setMembership(admins, robot.id, false);
        const afterRemoval = await updateDescription('after removal');

        // Assess
        expectDenied(before);
        expect(asAdmin.status, JSON.stringify(asAdmin.body)).toBe(200);
        expect(asAdminAcl.status).toBe(200);
        expectDenied(afterRemoval);
      } finally {
        await setMembership(admins, robot.id, false);
      }
    });
  });

  describe('root grants', () => {
    it('let members of a group granted CAN_READ on root read every model', async () => {
      // Prepare
      const reader = await createUserWithToken();
      const group = await createGroup('perm-root-readers', [reader.id]);
      const prefix = uniqueName('perm-root');
      const [first, second] = await Promise.all([
        createModel({ name: `${prefix}-a`, versions: 1 }),
        createModel({ name: `${prefix}-b` }),
      ]);
      if (!first || !second) throw new Error('models were not created');
      const before = await getModel(first.name, reader.token);

      // Act
      await grantOnRoot(group, 'CAN_READ');
      const reads = await Promise.all([
        getModel(first.name, reader.token),
        getModel(second.name, reader.token),
        call('GET', `${MLFLOW}/model-versions/get`, {
          token: reader.token,
          query: { name: first.name, version: '1' },
        }),
      ]);
      const searched = await call<{ registered_models?: { name: string }[] }>(
        'GET',
        `${MLFLOW}/registered-models/search`,
        { token: reader.token, query: { filter: `name LIKE '${prefix}-%'` } }
      );
      const edit = await call('POST', `${MLFLOW}/registered-models/set-tag`, {
        token: reader.token,
        body: { name: first.name, key: 'k', value: 'v' },
      });

      // Assess
      expectDenied(before);
      expect(reads.map((response) => response.status)).toEqual([200, 200, 200]);
      expect(searched.body.registered_models?.map((m) => m.name)).toEqual([
        first.name,
        second.name,
      ]);
      expectDenied(edit);
    });

    it('let members of a group granted CAN_MANAGE on root delete any model', async () => {
      // Prepare
      const manager = await createServicePrincipalWithToken();
      const group = await createGroup('perm-root-managers', [manager.id]);
      const model = await createModel();
      const remove = () =>
        call('DELETE', `${MLFLOW}/registered-models/delete`, {
          token: manager.token,
          query: { name: model.name },
        });
      const before = await remove();

      // Act
      await grantOnRoot(group, 'CAN_MANAGE');
      const deleted = await remove();

      // Assess
      expectDenied(before);
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect((await getModel(model.name)).status).toBe(404);
    });

    it('are shown on each model as inherited from root, with the admins as inherited', async () => {
      // Prepare
      const group = await createGroup('perm-root-shown');
      const model = await createModel();

      // Act
      await grantOnRoot(group, 'CAN_EDIT');
      const acl = await getPermissions(model.id);
      const root = await getPermissions('root');

      // Assess
      expect(acl.status).toBe(200);
      expect(acl.body.object_id).toBe(`/registered-models/${model.id}`);
      expect(acl.body.access_control_list).toContainEqual({
        group_name: group.displayName,
        all_permissions: [
          {
            permission_level: 'CAN_EDIT',
            inherited: true,
            inherited_from_object: ['/registered-models/root'],
          },
        ],
      });
      expect(acl.body.access_control_list).toContainEqual({
        group_name: 'admins',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: true }],
      });
      expect(acl.body.access_control_list).toContainEqual({
        user_name: 'admin',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: false }],
      });
      // The right to create models is no level on a model.
      expect(
        acl.body.access_control_list.flatMap((entry) =>
          entry.all_permissions.map((p) => p.permission_level)
        )
      ).not.toContain('CAN_CREATE_REGISTERED_MODEL');
      expect(root.status).toBe(200);
      expect(root.body.object_id).toBe('/registered-models/root');
      expect(root.body.access_control_list).toContainEqual({
        group_name: group.displayName,
        all_permissions: [{ permission_level: 'CAN_EDIT', inherited: false }],
      });
    });

    it("let anyone read root's grants, and only admins change them", async () => {
      // Prepare
      const user = await createUserWithToken();
      const group = await createGroup('perm-root-refused');

      // Act
      const read = await getPermissions('root', user.token);
      const changed = await grant(
        'root',
        [{ group_name: group.displayName, permission_level: 'CAN_MANAGE' }],
        'PATCH',
        user.token
      );

      // Assess
      expect(read.status).toBe(200);
      expectDenied(changed);
      expect(
        (await rootAcl()).access_control_list.map((entry) => who(entry))
      ).not.toContain(`group:${group.displayName}`);
    });
  });

  describe('CAN_CREATE_REGISTERED_MODEL on root', () => {
    it('lets every user create models by default', async () => {
      // Prepare
      const user = await createUserWithToken();

      // Act
      const created = await call('POST', `${MLFLOW}/registered-models/create`, {
        token: user.token,
        body: { name: uniqueName('perm-default-create') },
      });

      // Assess
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(
        directGrants(await rootAcl()).filter((g) => g.startsWith('group:users'))
      ).toEqual(['group:users → CAN_CREATE_REGISTERED_MODEL']);
    });

    it('refuses a plain user once root grants leave out users, and allows one granted the level', async () => {
      // Prepare
      const [plain, creator] = await Promise.all([
        createUserWithToken(),
        createUserWithToken(),
      ]);
      const snapshot = asRequest(await rootAcl());
      const create = (token: string) =>
        call('POST', `${MLFLOW}/registered-models/create`, {
          token,
          body: { name: uniqueName('perm-create') },
        });

      // Act
      // Other files share this registry: keep the window without `users`
      // short, and restore root whatever happens.
      let put: ApiResponse<RegisteredModelPermissions>;
      let refused: ApiResponse;
      let allowed: ApiResponse;
      try {
        put = await grant(
          'root',
          [
            ...snapshot.filter((entry) => who(entry) !== 'group:users'),
            {
              user_name: creator.userName,
              permission_level: 'CAN_CREATE_REGISTERED_MODEL',
            },
          ],
          'PUT'
        );
        [refused, allowed] = await Promise.all([
          create(plain.token),
          create(creator.token),
        ]);
      } finally {
        await grant('root', snapshot, 'PUT');
      }
      const restored = await create(plain.token);

      // Assess
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expectDenied(refused);
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
      expect(restored.status).toBe(200);
    });
  });

  describe('listings', () => {
    // 12 models under one prefix; the reader may read 5 of them (one
    // through a group), and has a version in each.
    const prefix = uniqueName('perm-list');
    const names = Array.from(
      { length: 12 },
      (_, index) => `${prefix}-${String(index).padStart(2, '0')}`
    );
    const readable = [0, 3, 4, 8, 11].map((index) => names[index] ?? '');
    let reader: Awaited<ReturnType<typeof createUserWithToken>>;
    let fixture: Promise<void> | undefined;

    function prepared(): Promise<void> {
      fixture ??= (async () => {
        reader = await createUserWithToken();
        const group = await createGroup('perm-list-readers', [reader.id]);
        await Promise.all(
          names.map(async (name) => {
            const model = await createModel({ name, versions: 1 });
            if (!readable.includes(name)) return;
            const entry =
              name === names[4] ? granteeOf(group) : granteeOf(reader);
            const granted = await grant(
              model.id,
              [{ ...entry, permission_level: 'CAN_READ' }],
              'PATCH'
            );
            expect(granted.status).toBe(200);
          })
        );
      })();
      return fixture;
    }

    async function pages(path: string, query: Record<string, string>) {
      const all: string[][] = [];
      const tokens: (string | undefined)[] = [];
      let pageToken: string | undefined;
      do {
        const page = await call<{
          registered_models?: { name: string }[];
          next_page_token?: string;
        }>('GET', path, {
          token: reader.token,
          query: {
            ...query,
            max_results: 2,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        });
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        all.push((page.body.registered_models ?? []).map((m) => m.name));
        pageToken = page.body.next_page_token;
        tokens.push(pageToken);
      } while (pageToken && all.length < 20);
      return { all, tokens };
    }

    it('search pages through exactly the readable models, every non-final page full', async () => {
      // Prepare
      await prepared();

      // Act
      const { all, tokens } = await pages(
        `${MLFLOW}/registered-models/search`,
        { filter: `name LIKE '${prefix}-%'` }
      );

      // Assess
      expect(all.flat()).toEqual(readable);
      expect(all.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(tokens.at(-1)).toBeUndefined();
    });

    it('list pages through exactly the readable models', async () => {
      // Prepare
      await prepared();

      // Act
      const { all } = await pages(`${MLFLOW}/registered-models/list`, {});

      // Assess
      expect(all.flat().sort()).toEqual(readable);
      expect(all.slice(0, -1).filter((page) => page.length < 2)).toEqual([]);
    });

    it('version search shows only versions of readable models', async () => {
      // Prepare
      await prepared();
      const hidden = names.find((name) => !readable.includes(name)) ?? '';

      // Act
      const searched = await call<{
        model_versions?: { name: string; version: string }[];
      }>('GET', `${MLFLOW}/model-versions/search`, {
        token: reader.token,
        query: { filter: `name LIKE '${prefix}-%'` },
      });
      const everything = await call<{
        model_versions?: { name: string }[];
      }>('GET', `${MLFLOW}/model-versions/search`, { token: reader.token });
      const named = await call<{ model_versions?: unknown[] }>(
        'GET',
        `${MLFLOW}/model-versions/search`,
        { token: reader.token, query: { filter: `name='${hidden}'` } }
      );

      // Assess
      expect(searched.status).toBe(200);
      expect(
        (searched.body.model_versions ?? [])
          .map((v) => `${v.name}/${v.version}`)
          .sort()
      ).toEqual(readable.map((name) => `${name}/1`));
      expect(
        [
          ...new Set((everything.body.model_versions ?? []).map((v) => v.name)),
        ].sort()
      ).toEqual(readable);
      expect(named.status).toBe(200);
      expect(named.body.model_versions ?? []).toEqual([]);
    });
  });

  describe('changes', () => {
    it('take effect on the next request: grant, revoke, group membership', async () => {
      // Prepare
      const user = await createUserWithToken();
      const group = await createGroup('perm-next-request');
      const model = await createModel();
      const read = () => getModel(model.name, user.token);
      const before = await read();

      // Act
      await grant(
        model.id,
        [{ user_name: user.userName, permission_level: 'CAN_READ' }],
        'PATCH'
      );
      const granted = await read();
      await grant(
        model.id,
        [
          { user_name: 'admin', permission_level: 'CAN_MANAGE' },
          { group_name: group.displayName, permission_level: 'CAN_READ' },
        ],
        'PUT'
      );
      const revoked = await read();
      await setMembership(group, user.id, true);
      const joined = await read();
      await setMembership(group, user.id, false);
      const left = await read();

      // Assess
      expectDenied(before);
      expect(granted.status).toBe(200);
      expectDenied(revoked);
      expect(joined.status).toBe(200);
      expectDenied(left);
    });
  });

  describe('PUT and PATCH', () => {
    it('PUT replaces the direct grants', async () => {
      // Prepare
      const [a, b, c] = await Promise.all([
        createUserWithToken(),
        createUserWithToken(),
        createUserWithToken(),
      ]);
      const model = await createModel();
      await grant(
        model.id,
        [
          { user_name: a.userName, permission_level: 'CAN_READ' },
          { user_name: b.userName, permission_level: 'CAN_EDIT' },
        ],
        'PATCH'
      );

      // Act
      const put = await grant(
        model.id,
        [
          { user_name: 'admin', permission_level: 'CAN_MANAGE' },
          { user_name: c.userName, permission_level: 'CAN_READ' },
        ],
        'PUT'
      );

      // Assess
      expect(put.status).toBe(200);
      expect(directGrants(put.body)).toEqual(
        [`user:admin → CAN_MANAGE`, `user:${c.userName} → CAN_READ`].sort()
      );
      expect(directGrants((await getPermissions(model.id)).body)).toEqual(
        directGrants(put.body)
      );
      expect((await getModel(model.name, a.token)).status).toBe(403);
      expect((await getModel(model.name, c.token)).status).toBe(200);
    });

    it("PATCH adds grants and changes a grantee's level, keeping the others", async () => {
      // Prepare
      const [a, b] = await Promise.all([
        createUserWithToken(),
        createServicePrincipalWithToken(),
      ]);
      const model = await createModel();
      await grant(
        model.id,
        [{ user_name: a.userName, permission_level: 'CAN_READ' }],
        'PATCH'
      );

      // Act
      const patched = await grant(
        model.id,
        [
          { user_name: a.userName, permission_level: 'CAN_EDIT' },
          {
            service_principal_name: b.applicationId,
            permission_level: 'CAN_MANAGE_STAGING_VERSIONS',
          },
        ],
        'PATCH'
      );

      // Assess
      expect(patched.status).toBe(200);
      expect(directGrants(patched.body)).toEqual(
        [
          'user:admin → CAN_MANAGE',
          `user:${a.userName} → CAN_EDIT`,
          `service_principal:${b.applicationId} → CAN_MANAGE_STAGING_VERSIONS`,
        ].sort()
      );
    });
  });

  describe('the lock-out guard', () => {
    it.each<
      [string, 'PUT' | 'PATCH', (user: string) => AccessControlRequest[]]
    >([
      [
        'a PUT without any CAN_MANAGE',
        'PUT',
        (user) => [{ user_name: user, permission_level: 'CAN_EDIT' }],
      ],
      [
        'a PATCH that lowers the only CAN_MANAGE',
        'PATCH',
        () => [{ user_name: 'admin', permission_level: 'CAN_READ' }],
      ],
      [
        'a grant to admins (PATCH)',
        'PATCH',
        () => [{ group_name: 'admins', permission_level: 'CAN_READ' }],
      ],
      [
        'a grant to admins (PUT)',
        'PUT',
        () => [
          { user_name: 'admin', permission_level: 'CAN_MANAGE' },
          { group_name: 'admins', permission_level: 'CAN_MANAGE' },
        ],
      ],
      [
        'CAN_CREATE_REGISTERED_MODEL on a model',
        'PATCH',
        (user) => [
          {
            user_name: user,
            permission_level: 'CAN_CREATE_REGISTERED_MODEL',
          },
        ],
      ],
    ])(
      'refuses %s with 400 and changes nothing',
      async (_case, mode, entries) => {
        // Prepare
        const user = await createUserWithToken();
        const model = await createModel();
        const before = await getPermissions(model.id);

        // Act
        const response = await grant(model.id, entries(user.userName), mode);

        // Assess
        expect(response.status, JSON.stringify(response.body)).toBe(400);
        expect(response.body).toMatchObject({
          error_code: 'INVALID_PARAMETER_VALUE',
        });
        expect((await getPermissions(model.id)).body).toEqual(before.body);
      }
    );

    it('refuses an entry naming two grantees, and one naming none', async () => {
      // Prepare
      const model = await createModel();
      const before = await getPermissions(model.id);

      // Act
      const two = await call('PATCH', `${PERMISSIONS}/${model.id}`, {
        body: {
          access_control_list: [
            {
              user_name: 'admin',
              group_name: 'users',
              permission_level: 'CAN_READ',
            },
          ],
        },
      });
      const none = await call('PATCH', `${PERMISSIONS}/${model.id}`, {
        body: { access_control_list: [{ permission_level: 'CAN_READ' }] },
      });

      // Assess
      expect([two.status, none.status]).toEqual([400, 400]);
      expect(two.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect((await getPermissions(model.id)).body).toEqual(before.body);
    });

    it('refuses a grant to admins on root', async () => {
      // Prepare
      const before = await rootAcl();

      // Act
      const response = await grant(
        'root',
        [{ group_name: 'admins', permission_level: 'CAN_READ' }],
        'PATCH'
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
      });
      expect(
        (await rootAcl()).access_control_list.find(
          (entry) => entry.group_name === 'admins'
        )
      ).toEqual(
        before.access_control_list.find(
          (entry) => entry.group_name === 'admins'
        )
      );
    });
  });

  describe('refusals', () => {
    it('carry no model details to a caller without read access', async () => {
      // Prepare
      const outsider = await createUserWithToken();
      const secret = uniqueName('secret');
      const model = await createModel({
        versions: 1,
        body: {
          description: `${secret}-description`,
          tags: [{ key: `${secret}-key`, value: `${secret}-value` }],
        },
      });
      await call('POST', `${MLFLOW}/registered-models/alias`, {
        body: { name: model.name, alias: `${secret}-alias`, version: '1' },
      });
      const q = { name: model.name, version: '1' };

      // Act
      const responses = await Promise.all([
        call('GET', `${MLFLOW}/registered-models/get`, {
          token: outsider.token,
          query: { name: model.name },
        }),
        call('GET', `${MLFLOW}/databricks/registered-models/get`, {
          token: outsider.token,
          query: { name: model.name },
        }),
        call('GET', `${MLFLOW}/model-versions/get`, {
          token: outsider.token,
          query: q,
        }),
        call('GET', `${MLFLOW}/model-versions/get-download-uri`, {
          token: outsider.token,
          query: q,
        }),
        call('POST', `${MLFLOW}/registered-models/get-latest-versions`, {
          token: outsider.token,
          body: { name: model.name },
        }),
        call('GET', `${MLFLOW}/registered-models/alias`, {
          token: outsider.token,
          query: { name: model.name, alias: `${secret}-alias` },
        }),
        call('GET', '/api/2.0/stagegate/activities/list', {
          token: outsider.token,
          query: q,
        }),
        getPermissions(model.id, outsider.token),
      ]);

      // Assess
      for (const response of responses) {
        expectDenied(response);
        expect(Object.keys(response.body).sort()).toEqual([
          'error_code',
          'message',
        ]);
        const text = JSON.stringify(response.body);
        expect(text).not.toContain(secret);
        expect(text).not.toContain('s3://');
        expect(text).not.toContain('latest_versions');
      }
    });
  });

  describe('permissions routes', () => {
    it.each([
      ['GET', ''],
      ['GET', '/permissionLevels'],
      ['PUT', ''],
      ['PATCH', ''],
    ])('answer 404 for an unknown model id: %s …%s', async (method, suffix) => {
      // Prepare
      const unknown = 'f'.repeat(32);

      // Act
      const response = await call(
        method,
        `${PERMISSIONS}/${unknown}${suffix}`,
        {
          ...(method === 'GET'
            ? {}
            : {
                body: {
                  access_control_list: [
                    { user_name: 'admin', permission_level: 'CAN_MANAGE' },
                  ],
                },
              }),
        }
      );

      // Assess
      expect(response.status, JSON.stringify(response.body)).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(response.body.message).toContain(unknown);
    });

    it('list the five model levels, and root adds CAN_CREATE_REGISTERED_MODEL', async () => {
      // Prepare
      const model = await createModel();

      // Act
      const onModel = await call<{
        permission_levels: { permission_level: string; description: string }[];
      }>('GET', `${PERMISSIONS}/${model.id}/permissionLevels`);
      const onRoot = await call<{
        permission_levels: { permission_level: string; description: string }[];
      }>('GET', `${PERMISSIONS}/root/permissionLevels`);

      // Assess
      expect(onModel.status).toBe(200);
      expect(onModel.body.permission_levels).toEqual(
        PERMISSION_LEVELS.map((level) => ({
          permission_level: level,
          description: expect.stringMatching(/\S/),
        }))
      );
      expect(onRoot.status).toBe(200);
      expect(
        onRoot.body.permission_levels.map((l) => l.permission_level)
      ).toEqual([...PERMISSION_LEVELS, 'CAN_CREATE_REGISTERED_MODEL']);
    });
  });

  describe('admin-only routes', () => {
    it('refuse a non-admin with 403 PERMISSION_DENIED in the MLflow shape', async () => {
      // Prepare
      const user = await createUserWithToken();
      const adminOnly = routes.filter(isAdminRoute);

      // Act
      const responses = await Promise.all(
        adminOnly.map(async (route) => {
          const path = route.path.replace(/\{[^}]+\}/g, '1234');
          const response = await call(route.method, path, {
            token: user.token,
            ...(route.method === 'GET' || route.method === 'DELETE'
              ? {}
              : { body: {} }),
          });
          const body = response.body as { error_code?: unknown };
          return `${route.method} ${route.path} → ${response.status} ${String(body.error_code)}`;
        })
      );
      const me = await call('GET', '/api/2.0/preview/scim/v2/Me', {
        token: user.token,
      });

      // Assess
      expect(adminOnly.length).toBeGreaterThan(0);
      expect(responses).toEqual(
        adminOnly.map(
          (route) => `${route.method} ${route.path} → 403 PERMISSION_DENIED`
        )
      );
      expect(me.status).toBe(200);
    });
  });

  describe('revoked tokens', () => {
    it('are refused within the documented 10 s bound', async () => {
      // Prepare
      const user = await createUserWithToken();
      const model = await createModel();
      await grant(
        model.id,
        [{ user_name: user.userName, permission_level: 'CAN_READ' }],
        'PATCH'
      );
      const read = () => getModel(model.name, user.token);
      const before = await read();

      // Act
      const revoked = await call(
        'DELETE',
        `/api/2.0/token-management/tokens/${user.tokenId}`
      );
      const { response, elapsedMs } = await poll(
        read,
        (r) => r.status === 401,
        10_000
      );

      // Assess
      expect(before.status).toBe(200);
      expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
      expect(response.status).toBe(401);
      expect(response.body.error_code).toBe('UNAUTHENTICATED');
      expect(elapsedMs).toBeLessThanOrEqual(10_000);
    });
  });
});
