import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { keys } from '#adapters/dynamodb/keys.ts';
import {
  createGroup,
  createPrincipal,
  type DirectoryDependencies,
  getGroup,
  getPrincipalOfKind,
  patchGroup,
  patchPrincipal,
} from '#domain/directory.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import { useDynamoDBLocalTable } from '#test/support/dynamodb-local-table.ts';

const TABLE_NAME = 'unit-directory-limits';

const table = useDynamoDBLocalTable(TABLE_NAME, 'ddb-directory');
let deps: DirectoryDependencies;

beforeAll(() => {
  const { client } = table();
  deps = {
    identities: new DynamoDBIdentityStore({ client, tableName: TABLE_NAME }),
    sleep: async () => {},
  };
});

async function refusal(act: () => Promise<unknown>) {
  const error = await act().then(
    () => undefined,
    (thrown: unknown) => thrown
  );
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  return error as InvalidParameterValueError;
}

const joining = (groupId: string) => ({
  addGroupIds: [groupId],
  removeGroupIds: [],
});
const adding = (memberId: string) => ({
  addMemberIds: [memberId],
  removeMemberIds: [],
});

/** Fills a principal's item with `count` group memberships, as joins would. */
async function fillMemberships(principalId: string, count: number) {
  const memberOf = Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `9${String(index).padStart(15, '0')}`,
      `group-${index}`,
    ])
  );
  await table().client.send(
    new UpdateCommand({
      TableName: TABLE_NAME,
      Key: keys.principal(principalId),
      UpdateExpression: 'SET memberOf = :memberOf',
      ExpressionAttributeValues: { ':memberOf': memberOf },
    })
  );
}

describe('directory item limits', () => {
  it(`refuses a principal's group ${limits.groupsPerPrincipal + 1}, from either side, changing nothing`, async () => {
    // Prepare
    const user = await createPrincipal(deps, 'user', {
      userName: 'joiner@example.com',
    });
    const group = await createGroup(deps, { displayName: 'one-too-many' });
    await fillMemberships(user.id, limits.groupsPerPrincipal);

    // Act
    const fromUser = await refusal(() =>
      patchPrincipal(deps, 'user', user.id, joining(group.group.id))
    );
    const fromGroup = await refusal(() =>
      patchGroup(deps, group.group.id, adding(user.id))
    );

    // Assess
    for (const error of [fromUser, fromGroup]) {
      expect(error.message).toBe(
        `Principal ${user.id} would be in more than ${limits.groupsPerPrincipal} groups, the most one principal can be in.`
      );
    }
    expect((await getGroup(deps, group.group.id)).members).toStrictEqual([]);
    expect(
      (await getPrincipalOfKind(deps, 'user', user.id)).groups
    ).toHaveLength(limits.groupsPerPrincipal);
  });

  it(`refuses member ${limits.membersPerGroup + 1} of a group, changing nothing`, async () => {
    // Prepare
    const user = await createPrincipal(deps, 'user', {
      userName: 'late@example.com',
    });
    const group = await createGroup(deps, { displayName: 'crowded' });
    await table().client.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: keys.group(group.group.id),
        UpdateExpression: 'ADD members :ids',
        ExpressionAttributeValues: {
          ':ids': new Set(
            Array.from(
              { length: limits.membersPerGroup },
              (_, index) => `8${String(index).padStart(15, '0')}`
            )
          ),
        },
      })
    );

    // Act
    const error = await refusal(() =>
      patchGroup(deps, group.group.id, adding(user.id))
    );

    // Assess
    expect(error.message).toBe(
      `Group ${group.group.id} would have ${limits.membersPerGroup + 1} members; a group holds at most ${limits.membersPerGroup}.`
    );
    expect(
      (await getPrincipalOfKind(deps, 'user', user.id)).groups
    ).toStrictEqual([]);
  });
});
