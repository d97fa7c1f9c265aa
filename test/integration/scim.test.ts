import { describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';

const SCIM = '/api/2.0/preview/scim/v2';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Ref {
  value: string;
  display: string;
  $ref: string;
}

interface UserJson {
  schemas: string[];
  id: string;
  userName: string;
  displayName: string;
  active: boolean;
  emails?: { value: string; primary: boolean; type: string }[];
  groups: Ref[];
  applicationId?: string;
}

interface ServicePrincipalJson {
  schemas: string[];
  id: string;
  applicationId: string;
  displayName: string;
  active: boolean;
  groups: Ref[];
}

interface GroupJson {
  schemas: string[];
  id: string;
  displayName: string;
  members: Ref[];
}

interface ListJson<T> {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

async function createUser(body: Record<string, unknown> = {}) {
  const response = await call<UserJson>('POST', `${SCIM}/Users`, {
    body: { userName: `${uniqueName('user')}@example.com`, ...body },
  });
  expect(response.status).toBe(200);
  return response.body;
}

async function createServicePrincipal(body: Record<string, unknown> = {}) {
  const response = await call<ServicePrincipalJson>(
    'POST',
    `${SCIM}/ServicePrincipals`,
    { body: { displayName: uniqueName('robot'), ...body } }
  );
  expect(response.status).toBe(200);
  return response.body;
}

async function createGroup(memberIds: string[] = [], displayName?: string) {
  const response = await call<GroupJson>('POST', `${SCIM}/Groups`, {
    body: {
      displayName: displayName ?? uniqueName('group'),
      members: memberIds.map((value) => ({ value })),
    },
  });
  expect(response.status).toBe(200);
  return response.body;
}

/** A token for a service principal, issued by the admin. */
async function tokenFor(applicationId: string): Promise<string> {
  const response = await call<{ token_value: string }>(
    'POST',
    '/api/2.0/token-management/on-behalf-of/tokens',
    { body: { application_id: applicationId, comment: 'scim test' } }
  );
  expect(response.status).toBe(200);
  return response.body.token_value;
}

function patch(
  resource: string,
  operations: Record<string, unknown>[],
  token?: string
) {
  return call<Record<string, unknown>>('PATCH', `${SCIM}/${resource}`, {
    body: { schemas: [PATCH_OP], Operations: operations },
    ...(token === undefined ? {} : { token }),
  });
}

async function adminsGroup(): Promise<GroupJson> {
  const listed = await call<ListJson<GroupJson>>('GET', `${SCIM}/Groups`, {
    query: { filter: 'displayName eq "admins"' },
  });
  const group = listed.body.Resources[0];
  if (!group) throw new Error('The admins group does not exist.');
  return group;
}

/**
 * Repeats a request until `done` holds or `withinMs` passes, and returns
 * the last answer: token and membership changes reach the gateway within
 * the authorizer's cache lifetime (1 s in these tests).
 */
async function eventually<T>(
  request: () => Promise<ApiResponse<T>>,
  done: (response: ApiResponse<T>) => boolean,
  withinMs = 5000
): Promise<ApiResponse<T>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await request();
    if (done(response) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('SCIM API', () => {
  describe('Users', () => {
    it('creates a user and answers the Databricks User resource', async () => {
      // Prepare
      const userName = `${uniqueName('alice')}@example.com`;

      // Act
      const created = await call<UserJson>('POST', `${SCIM}/Users`, {
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName,
          displayName: 'Alice Example',
        },
      });
      const fetched = await call<UserJson>(
        'GET',
        `${SCIM}/Users/${created.body.id}`
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body).toStrictEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: expect.stringMatching(/^\d{16}$/),
        userName,
        displayName: 'Alice Example',
        active: true,
        emails: [{ value: userName, primary: true, type: 'work' }],
        groups: [],
      });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toStrictEqual(created.body);
    });

    it('defaults the display name to the user name and leaves out emails for a non-address', async () => {
      // Prepare
      const userName = uniqueName('plain');

      // Act
      const created = await call<UserJson>('POST', `${SCIM}/Users`, {
        body: { userName },
      });

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.displayName).toBe(userName);
      expect(created.body).not.toHaveProperty('emails');
    });

    it('refuses a second user with the same user name, in any case', async () => {
      // Prepare
      const user = await createUser();

      // Act
      const duplicate = await call('POST', `${SCIM}/Users`, {
        body: { userName: user.userName.toUpperCase() },
      });

      // Assess
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('refuses a user without a user name', async () => {
      // Act
      const response = await call('POST', `${SCIM}/Users`, {
        body: { displayName: 'Nobody' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('lists users filtered by userName and displayName with eq, co and sw', async () => {
      // Prepare
      const prefix = uniqueName('flt');
      const first = await createUser({
        userName: `${prefix}-one@example.com`,
        displayName: `${prefix} First Person`,
      });
      const second = await createUser({
        userName: `${prefix}-two@example.com`,
        displayName: `${prefix} Second Person`,
      });
      const list = (filter: string) =>
        call<ListJson<UserJson>>('GET', `${SCIM}/Users`, {
          query: { filter },
        });

      // Act
      const eq = await list(`userName eq "${first.userName.toUpperCase()}"`);
      const sw = await list(`userName sw "${prefix}"`);
      const co = await list(`userName co "${prefix}-tw"`);
      const byDisplayName = await list(`displayName co "${prefix} second"`);
      const displayNameEq = await list(
        `displayName eq "${prefix} First Person"`
      );

      // Assess
      expect(eq.status).toBe(200);
      expect(eq.body).toStrictEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 1,
        startIndex: 1,
        itemsPerPage: 1,
        Resources: [first],
      });
      expect(sw.body.Resources.map((u) => u.id)).toStrictEqual([
        first.id,
        second.id,
      ]);
      expect(co.body.Resources.map((u) => u.id)).toStrictEqual([second.id]);
      expect(byDisplayName.body.Resources.map((u) => u.id)).toStrictEqual([
        second.id,
      ]);
      expect(displayNameEq.body.Resources.map((u) => u.id)).toStrictEqual([
        first.id,
      ]);
    });

    it('pages a listing with a 1-based startIndex and count', async () => {
      // Prepare
      const prefix = uniqueName('page');
      const users = [];
      for (const n of [1, 2, 3]) {
        users.push(await createUser({ userName: `${prefix}-${n}@x.io` }));
      }

      // Act
      const page = await call<ListJson<UserJson>>('GET', `${SCIM}/Users`, {
        query: { filter: `userName sw "${prefix}"`, startIndex: 2, count: 1 },
      });

      // Assess
      expect(page.status).toBe(200);
      expect(page.body.totalResults).toBe(3);
      expect(page.body.startIndex).toBe(2);
      expect(page.body.itemsPerPage).toBe(1);
      expect(page.body.Resources.map((u) => u.id)).toStrictEqual([
        users[1]?.id,
      ]);
    });

    it.each([
      ['an attribute it does not filter on', 'emails eq "a@b.c"'],
      ['an operator it does not serve', 'userName gt "a"'],
      ['a compound filter', 'userName eq "a" and displayName eq "b"'],
      ['a filter on applicationId', 'applicationId eq "x"'],
    ])('refuses %s with INVALID_PARAMETER_VALUE', async (_case, filter) => {
      // Act
      const response = await call('GET', `${SCIM}/Users`, {
        query: { filter },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('replaces displayName and active through PATCH', async () => {
      // Prepare
      const user = await createUser();

      // Act
      const patched = await patch(`Users/${user.id}`, [
        { op: 'replace', path: 'displayName', value: 'Renamed Person' },
        { op: 'replace', path: 'active', value: false },
      ]);
      const fetched = await call<UserJson>('GET', `${SCIM}/Users/${user.id}`);

      // Assess
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        id: user.id,
        displayName: 'Renamed Person',
        active: false,
      });
      expect(fetched.body).toStrictEqual(patched.body);
    });

    it('adds and removes groups, and both sides of the membership agree', async () => {
      // Prepare
      const user = await createUser();
      const group = await createGroup();
      const other = await createGroup();

      // Act
      const added = await patch(`Users/${user.id}`, [
        {
          op: 'add',
          path: 'groups',
          value: [{ value: group.id }, { value: other.id }],
        },
      ]);
      const groupAfterAdd = await call<GroupJson>(
        'GET',
        `${SCIM}/Groups/${group.id}`
      );
      const removed = await patch(`Users/${user.id}`, [
        { op: 'remove', path: `groups[value eq "${group.id}"]` },
      ]);
      const groupAfterRemove = await call<GroupJson>(
        'GET',
        `${SCIM}/Groups/${group.id}`
      );

      // Assess
      expect(added.status).toBe(200);
      expect((added.body as unknown as UserJson).groups).toStrictEqual(
        [
          {
            value: group.id,
            display: group.displayName,
            $ref: `Groups/${group.id}`,
          },
          {
            value: other.id,
            display: other.displayName,
            $ref: `Groups/${other.id}`,
          },
        ].sort((a, b) => a.display.localeCompare(b.display))
      );
      expect(groupAfterAdd.body.members).toStrictEqual([
        {
          value: user.id,
          display: user.displayName,
          $ref: `Users/${user.id}`,
        },
      ]);
      expect(removed.status).toBe(200);
      expect(
        (removed.body as unknown as UserJson).groups.map((g) => g.value)
      ).toStrictEqual([other.id]);
      expect(groupAfterRemove.body.members).toStrictEqual([]);
    });

    it('creates a user in the groups it names', async () => {
      // Prepare
      const group = await createGroup();

      // Act
      const user = await createUser({ groups: [{ value: group.id }] });
      const fetchedGroup = await call<GroupJson>(
        'GET',
        `${SCIM}/Groups/${group.id}`
      );

      // Assess
      expect(user.groups.map((g) => g.value)).toStrictEqual([group.id]);
      expect(fetchedGroup.body.members.map((m) => m.value)).toStrictEqual([
        user.id,
      ]);
    });

    it('answers 404 when a PATCH names an unknown group', async () => {
      // Prepare
      const user = await createUser();

      // Act
      const response = await patch(`Users/${user.id}`, [
        { op: 'add', path: 'groups', value: [{ value: '9999999999999999' }] },
      ]);

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('refuses a PATCH on a path it does not serve', async () => {
      // Prepare
      const user = await createUser();

      // Act
      const response = await patch(`Users/${user.id}`, [
        { op: 'replace', path: 'userName', value: 'other@example.com' },
      ]);

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('deletes a user, which leaves its groups', async () => {
      // Prepare
      const user = await createUser();
      const group = await createGroup([user.id]);

      // Act
      const deleted = await call('DELETE', `${SCIM}/Users/${user.id}`);
      const fetched = await call('GET', `${SCIM}/Users/${user.id}`);
      const fetchedGroup = await call<GroupJson>(
        'GET',
        `${SCIM}/Groups/${group.id}`
      );
      const again = await call('DELETE', `${SCIM}/Users/${user.id}`);

      // Assess
      expect(deleted.status).toBe(200);
      expect(deleted.body).toStrictEqual({});
      expect(fetched.status).toBe(404);
      expect(fetched.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(fetchedGroup.body.members).toStrictEqual([]);
      expect(again.status).toBe(404);
    });

    it('does not show a service principal under /Users', async () => {
      // Prepare
      const robot = await createServicePrincipal();

      // Act
      const response = await call('GET', `${SCIM}/Users/${robot.id}`);

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('ServicePrincipals', () => {
    it('creates a service principal with a generated application id', async () => {
      // Prepare
      const displayName = uniqueName('robot');

      // Act
      const created = await call<ServicePrincipalJson>(
        'POST',
        `${SCIM}/ServicePrincipals`,
        { body: { displayName } }
      );
      const fetched = await call<ServicePrincipalJson>(
        'GET',
        `${SCIM}/ServicePrincipals/${created.body.id}`
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body).toStrictEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal'],
        id: expect.stringMatching(/^\d{16}$/),
        applicationId: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
        ),
        displayName,
        active: true,
        groups: [],
      });
      expect(fetched.body).toStrictEqual(created.body);
    });

    it('keeps a given application id, unique in any case', async () => {
      // Prepare
      const applicationId = crypto.randomUUID();

      // Act
      const created = await call<ServicePrincipalJson>(
        'POST',
        `${SCIM}/ServicePrincipals`,
        { body: { applicationId: applicationId.toUpperCase() } }
      );
      const duplicate = await call('POST', `${SCIM}/ServicePrincipals`, {
        body: { applicationId },
      });

      // Assess
      expect(created.status).toBe(200);
      expect(created.body.applicationId).toBe(applicationId);
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('refuses an application id that is not a UUID', async () => {
      // Act
      const response = await call('POST', `${SCIM}/ServicePrincipals`, {
        body: { applicationId: 'ci-robot' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('lists service principals filtered by applicationId and displayName', async () => {
      // Prepare
      const prefix = uniqueName('sp');
      const robot = await createServicePrincipal({
        displayName: `${prefix} Deployer`,
      });
      await createServicePrincipal({ displayName: `${prefix} Trainer` });
      const list = (filter: string) =>
        call<ListJson<ServicePrincipalJson>>(
          'GET',
          `${SCIM}/ServicePrincipals`,
          { query: { filter } }
        );

      // Act
      const byApplicationId = await list(
        `applicationId eq "${robot.applicationId}"`
      );
      const applicationIdPrefix = await list(
        `applicationId sw "${robot.applicationId.slice(0, 13)}"`
      );
      const byDisplayName = await list(`displayName sw "${prefix}"`);
      const displayNameContains = await list(`displayName co "deploy"`);
      const userNameFilter = await call('GET', `${SCIM}/ServicePrincipals`, {
        query: { filter: 'userName eq "x"' },
      });

      // Assess
      expect(byApplicationId.body.Resources).toStrictEqual([robot]);
      expect(applicationIdPrefix.body.Resources.map((s) => s.id)).toContain(
        robot.id
      );
      expect(byDisplayName.body.totalResults).toBe(2);
      expect(displayNameContains.body.Resources.map((s) => s.id)).toContain(
        robot.id
      );
      expect(userNameFilter.status).toBe(400);
      expect(userNameFilter.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('patches and deletes a service principal', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const group = await createGroup();

      // Act
      const patched = await patch(`ServicePrincipals/${robot.id}`, [
        { op: 'replace', value: { displayName: 'Renamed Robot' } },
        { op: 'add', path: 'groups', value: [{ value: group.id }] },
      ]);
      const fetchedGroup = await call<GroupJson>(
        'GET',
        `${SCIM}/Groups/${group.id}`
      );
      const deleted = await call(
        'DELETE',
        `${SCIM}/ServicePrincipals/${robot.id}`
      );
      const fetched = await call(
        'GET',
        `${SCIM}/ServicePrincipals/${robot.id}`
      );

      // Assess
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        displayName: 'Renamed Robot',
        groups: [{ value: group.id, display: group.displayName }],
      });
      expect(fetchedGroup.body.members).toStrictEqual([
        {
          value: robot.id,
          display: 'Renamed Robot',
          $ref: `ServicePrincipals/${robot.id}`,
        },
      ]);
      expect(deleted.status).toBe(200);
      expect(fetched.status).toBe(404);
    });
  });

  describe('Groups', () => {
    it('creates a group with members of both kinds', async () => {
      // Prepare
      const user = await createUser();
      const robot = await createServicePrincipal();
      const displayName = uniqueName('ml-team');

      // Act
      const created = await call<GroupJson>('POST', `${SCIM}/Groups`, {
        body: {
          displayName,
          members: [{ value: user.id }, { value: robot.id }],
        },
      });
      const fetchedUser = await call<UserJson>(
        'GET',
        `${SCIM}/Users/${user.id}`
      );

      // Assess
      expect(created.status).toBe(200);
      expect(created.body).toStrictEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        id: expect.stringMatching(/^\d{16}$/),
        displayName,
        members: expect.arrayContaining([
          {
            value: user.id,
            display: user.displayName,
            $ref: `Users/${user.id}`,
          },
          {
            value: robot.id,
            display: robot.displayName,
            $ref: `ServicePrincipals/${robot.id}`,
          },
        ]),
      });
      expect(created.body.members).toHaveLength(2);
      expect(fetchedUser.body.groups).toStrictEqual([
        {
          value: created.body.id,
          display: displayName,
          $ref: `Groups/${created.body.id}`,
        },
      ]);
    });

    it('refuses a second group with the same display name, in any case', async () => {
      // Prepare
      const group = await createGroup();

      // Act
      const duplicate = await call('POST', `${SCIM}/Groups`, {
        body: { displayName: group.displayName.toUpperCase() },
      });

      // Assess
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('refuses a group as a member: nested groups are not supported', async () => {
      // Prepare
      const inner = await createGroup();
      const outer = await createGroup();

      // Act
      const created = await call('POST', `${SCIM}/Groups`, {
        body: {
          displayName: uniqueName('nest'),
          members: [{ value: inner.id }],
        },
      });
      const patched = await patch(`Groups/${outer.id}`, [
        { op: 'add', path: 'members', value: [{ value: inner.id }] },
      ]);

      // Assess
      expect(created.status).toBe(400);
      expect(created.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(patched.status).toBe(400);
      expect(patched.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('answers 404 for an unknown member', async () => {
      // Act
      const response = await call('POST', `${SCIM}/Groups`, {
        body: {
          displayName: uniqueName('ghosts'),
          members: [{ value: '9999999999999998' }],
        },
      });

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it.each([
      ['the implicit users group', 'users'],
      ['a name with a comma', 'a,b'],
    ])('refuses to create %s', async (_case, displayName) => {
      // Act
      const response = await call('POST', `${SCIM}/Groups`, {
        body: { displayName },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('lists groups filtered by displayName with eq, co and sw', async () => {
      // Prepare
      const prefix = uniqueName('grp');
      const alpha = await createGroup([], `${prefix}-alpha`);
      const beta = await createGroup([], `${prefix}-beta`);
      const list = (filter: string) =>
        call<ListJson<GroupJson>>('GET', `${SCIM}/Groups`, {
          query: { filter },
        });

      // Act
      const eq = await list(`displayName eq "${alpha.displayName}"`);
      const sw = await list(`displayName sw "${prefix.toUpperCase()}"`);
      const co = await list(`displayName co "${prefix}-be"`);

      // Assess
      expect(eq.body.Resources).toStrictEqual([alpha]);
      expect(sw.body.Resources.map((g) => g.id)).toStrictEqual([
        alpha.id,
        beta.id,
      ]);
      expect(co.body.Resources.map((g) => g.id)).toStrictEqual([beta.id]);
    });

    it('adds and removes members by value list and by selector', async () => {
      // Prepare
      const first = await createUser();
      const second = await createUser();
      const robot = await createServicePrincipal();
      const group = await createGroup();

      // Act
      const added = await patch(`Groups/${group.id}`, [
        {
          op: 'add',
          path: 'members',
          value: [
            { value: first.id },
            { value: second.id },
            { value: robot.id },
          ],
        },
      ]);
      const removed = await patch(`Groups/${group.id}`, [
        { op: 'remove', path: `members[value eq "${first.id}"]` },
        { op: 'remove', path: 'members', value: [{ value: robot.id }] },
      ]);
      const firstUser = await call<UserJson>(
        'GET',
        `${SCIM}/Users/${first.id}`
      );
      const secondUser = await call<UserJson>(
        'GET',
        `${SCIM}/Users/${second.id}`
      );

      // Assess
      expect(added.status).toBe(200);
      expect(
        (added.body as unknown as GroupJson).members.map((m) => m.value).sort()
      ).toStrictEqual([first.id, second.id, robot.id].sort());
      expect(removed.status).toBe(200);
      expect(
        (removed.body as unknown as GroupJson).members.map((m) => m.value)
      ).toStrictEqual([second.id]);
      expect(firstUser.body.groups).toStrictEqual([]);
      expect(secondUser.body.groups.map((g) => g.value)).toStrictEqual([
        group.id,
      ]);
    });

    it("renames a group, and its members' groups show the new name", async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const token = await tokenFor(robot.applicationId);
      const group = await createGroup([robot.id]);
      const newName = uniqueName('renamed');

      // Act
      const renamed = await patch(`Groups/${group.id}`, [
        { op: 'replace', path: 'displayName', value: newName },
      ]);
      const me = await call<UserJson>('GET', `${SCIM}/Me`, { token });
      const oldName = await call<ListJson<GroupJson>>('GET', `${SCIM}/Groups`, {
        query: { filter: `displayName eq "${group.displayName}"` },
      });
      const reuse = await call('POST', `${SCIM}/Groups`, {
        body: { displayName: group.displayName },
      });

      // Assess
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({
        id: group.id,
        displayName: newName,
      });
      expect(me.body.groups).toStrictEqual([
        { value: group.id, display: newName, $ref: `Groups/${group.id}` },
      ]);
      expect(oldName.body.totalResults).toBe(0);
      expect(reuse.status).toBe(200);
    });

    it('refuses a rename to a name another group has', async () => {
      // Prepare
      const taken = await createGroup();
      const group = await createGroup();

      // Act
      const response = await patch(`Groups/${group.id}`, [
        { op: 'replace', path: 'displayName', value: taken.displayName },
      ]);

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('deletes a group, which leaves its members without it', async () => {
      // Prepare
      const user = await createUser();
      const group = await createGroup([user.id]);

      // Act
      const deleted = await call('DELETE', `${SCIM}/Groups/${group.id}`);
      const fetched = await call('GET', `${SCIM}/Groups/${group.id}`);
      const fetchedUser = await call<UserJson>(
        'GET',
        `${SCIM}/Users/${user.id}`
      );
      const recreated = await call('POST', `${SCIM}/Groups`, {
        body: { displayName: group.displayName },
      });

      // Assess
      expect(deleted.status).toBe(200);
      expect(deleted.body).toStrictEqual({});
      expect(fetched.status).toBe(404);
      expect(fetchedUser.body.groups).toStrictEqual([]);
      expect(recreated.status).toBe(200);
    });
  });

  describe('the bootstrap admin and the admins group', () => {
    it('shows the bootstrap admin as a user in the admins group', async () => {
      // Act
      const users = await call<ListJson<UserJson>>('GET', `${SCIM}/Users`, {
        query: { filter: 'userName eq "admin"' },
      });
      const admins = await adminsGroup();

      // Assess
      expect(users.body.Resources).toHaveLength(1);
      expect(users.body.Resources[0]).toMatchObject({
        id: '1',
        userName: 'admin',
        active: true,
      });
      expect(users.body.Resources[0]?.groups).toContainEqual({
        value: admins.id,
        display: 'admins',
        $ref: `Groups/${admins.id}`,
      });
      expect(admins.members.map((m) => m.value)).toContain('1');
    });

    it.each([
      ['deleting the bootstrap admin', 'DELETE', `${SCIM}/Users/1`, undefined],
      [
        'deactivating the bootstrap admin',
        'PATCH',
        `${SCIM}/Users/1`,
        {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        },
      ],
    ])('refuses %s', async (_case, method, path, body) => {
      // Act
      const response = await call(method, path, body ? { body } : {});

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('refuses to delete or rename the admins group', async () => {
      // Prepare
      const admins = await adminsGroup();

      // Act
      const deleted = await call('DELETE', `${SCIM}/Groups/${admins.id}`);
      const renamed = await patch(`Groups/${admins.id}`, [
        { op: 'replace', path: 'displayName', value: uniqueName('admins') },
      ]);
      const after = await adminsGroup();

      // Assess
      expect(deleted.status).toBe(400);
      expect(deleted.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(renamed.status).toBe(400);
      expect(renamed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(after).toStrictEqual(admins);
    });

    it('refuses to remove the last members of the admins group', async () => {
      // Prepare
      const admins = await adminsGroup();

      // Act
      const response = await patch(`Groups/${admins.id}`, [
        {
          op: 'remove',
          path: 'members',
          value: admins.members.map((m) => ({ value: m.value })),
        },
      ]);
      const after = await adminsGroup();

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(after.members.map((m) => m.value)).toContain('1');
    });
  });

  describe('admin rights through the admins group', () => {
    it('lets a service principal call SCIM while it is in admins, and refuses it right after removal', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const token = await tokenFor(robot.applicationId);
      const admins = await adminsGroup();
      const before = await call('GET', `${SCIM}/Users`, {
        token,
        query: { count: 1 },
      });

      // Act
      const promoted = await patch(`Groups/${admins.id}`, [
        { op: 'add', path: 'members', value: [{ value: robot.id }] },
      ]);
      const asAdmin = await eventually(
        () => call('GET', `${SCIM}/Users`, { token, query: { count: 1 } }),
        (response) => response.status === 200
      );
      const demoted = await patch(`Groups/${admins.id}`, [
        { op: 'remove', path: `members[value eq "${robot.id}"]` },
      ]);
      // The authorizer may still hold the admin principal in its cache, so
      // the gateway may let this through; the handler must refuse it.
      const afterRemoval = await call('GET', `${SCIM}/Users`, {
        token,
        query: { count: 1 },
      });

      // Assess
      expect(before.status).toBe(403);
      expect(promoted.status).toBe(200);
      expect(asAdmin.status).toBe(200);
      expect(demoted.status).toBe(200);
      expect(afterRemoval.status).toBe(403);
    });
  });

  describe('Me', () => {
    it("answers the admin's own user with its groups", async () => {
      // Act
      const me = await call<UserJson>('GET', `${SCIM}/Me`);

      // Assess
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: '1',
        userName: 'admin',
        active: true,
      });
      expect(me.body.groups.map((g) => g.display)).toContain('admins');
    });

    it('answers a non-admin service principal, named by its application id', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const group = await createGroup([robot.id]);
      const token = await tokenFor(robot.applicationId);

      // Act
      const me = await call<UserJson>('GET', `${SCIM}/Me`, { token });

      // Assess
      expect(me.status).toBe(200);
      expect(me.body).toStrictEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: robot.id,
        userName: robot.applicationId,
        applicationId: robot.applicationId,
        displayName: robot.displayName,
        active: true,
        groups: [
          {
            value: group.id,
            display: group.displayName,
            $ref: `Groups/${group.id}`,
          },
        ],
      });
    });
  });

  describe('non-admin callers', () => {
    const routes: [string, string][] = [
      ['POST', 'Users'],
      ['GET', 'Users'],
      ['GET', 'Users/1'],
      ['PATCH', 'Users/1'],
      ['DELETE', 'Users/1'],
      ['POST', 'Groups'],
      ['GET', 'Groups'],
      ['GET', 'Groups/1'],
      ['PATCH', 'Groups/1'],
      ['DELETE', 'Groups/1'],
      ['POST', 'ServicePrincipals'],
      ['GET', 'ServicePrincipals'],
      ['GET', 'ServicePrincipals/1'],
      ['PATCH', 'ServicePrincipals/1'],
      ['DELETE', 'ServicePrincipals/1'],
    ];

    it('get 403 on every SCIM route but Me', async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const token = await tokenFor(robot.applicationId);
      const body = {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'active', value: false }],
        userName: 'x@example.com',
        displayName: 'x',
      };

      // Act
      const answers = await Promise.all(
        routes.map(async ([method, path]) => {
          const response = await call(method, `${SCIM}/${path}`, {
            token,
            ...(method === 'POST' || method === 'PATCH' ? { body } : {}),
          });
          return `${method} ${path} ${response.status}`;
        })
      );
      const me = await call('GET', `${SCIM}/Me`, { token });
      const admin = await call<UserJson>('GET', `${SCIM}/Users/1`);

      // Assess
      expect(answers).toStrictEqual(
        routes.map(([method, path]) => `${method} ${path} 403`)
      );
      expect(me.status).toBe(200);
      expect(admin.body.active).toBe(true);
    });
  });

  describe('deactivation and deletion', () => {
    it("refuses a deactivated principal's token, and accepts it again once reactivated", async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const token = await tokenFor(robot.applicationId);
      const me = () => call('GET', `${SCIM}/Me`, { token });

      // Act
      await patch(`ServicePrincipals/${robot.id}`, [
        { op: 'replace', path: 'active', value: false },
      ]);
      const refused = await eventually(me, (r) => r.status === 401);
      await patch(`ServicePrincipals/${robot.id}`, [
        { op: 'replace', path: 'active', value: true },
      ]);
      const accepted = await eventually(me, (r) => r.status === 200);

      // Assess
      expect(refused.status).toBe(401);
      expect(refused.body.error_code).toBe('UNAUTHENTICATED');
      expect(accepted.status).toBe(200);
    });

    it("revokes a deleted principal's tokens", async () => {
      // Prepare
      const robot = await createServicePrincipal();
      const token = await tokenFor(robot.applicationId);
      const used = await call('GET', `${MLFLOW}/registered-models/search`, {
        token,
        query: { max_results: 1 },
      });

      // Act
      const deleted = await call(
        'DELETE',
        `${SCIM}/ServicePrincipals/${robot.id}`
      );
      const refused = await eventually(
        () =>
          call('GET', `${MLFLOW}/registered-models/search`, {
            token,
            query: { max_results: 1 },
          }),
        (r) => r.status === 401
      );
      const listed = await call<{ token_infos: { owner_id: number }[] }>(
        'GET',
        '/api/2.0/token-management/tokens'
      );

      // Assess
      expect(used.status).toBe(200);
      expect(deleted.status).toBe(200);
      expect(refused.status).toBe(401);
      expect(refused.body.error_code).toBe('UNAUTHENTICATED');
      expect(
        listed.body.token_infos.some((t) => String(t.owner_id) === robot.id)
      ).toBe(false);
    });
  });
});
