import { describe, expect, it } from 'vitest';
import { ABILITIES } from '#domain/authorization.ts';
import {
  type ModelAbility as Ability,
  DEFAULT_ROOT_GRANTS,
  type EffectiveLevel,
  effectiveLevel,
  type Grant,
  type Grantee,
  levelAllows,
  lowestLevelFor,
  PERMISSION_LEVELS,
  PERMISSION_TABLE,
  type RootPermissionLevel,
  rootLevelsHeld,
  transitionAbility,
} from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import { STAGES, type Stage } from '#domain/stages.ts';

/**
 * The permission table (Databricks, "Share MLflow Models"), as published:
 * ability × No Permissions, Can Read, Can Edit, Can Manage Staging
 * Versions, Can Manage Production Versions, Can Manage.
 */
const SEED_001 = `
| Ability | No Permissions | Can Read | Can Edit | Can Manage Staging Versions | Can Manage Production Versions | Can Manage |
| View model details, versions, stage transition requests, activities, and artifact download URIs | | x | x | x | x | x |
| Request a model version stage transition | | x | x | x | x | x |
| Add a version to a model | | | x | x | x | x |
| Update model and version description | | | x | x | x | x |
| Add or edit tags for a model or model version | | | x | x | x | x |
| Transition model version between stages | | | | x (between None, Archived, and Staging) | x | x |
| Approve or reject a model version stage transition request | | | | x (between None, Archived, and Staging) | x | x |
| Cancel a model version stage transition request (see Note) | | | | | | x |
| Rename model | | | | | | x |
| Modify permissions | | | | | | x |
| Delete model and model versions | | | | | | x |
`;

/** The table's columns, in order. */
const COLUMNS: readonly EffectiveLevel[] = [
  'NO_PERMISSIONS',
  ...PERMISSION_LEVELS,
];

const RESTRICTED = 'x (between None, Archived, and Staging)';

/**
 * Which of our abilities each seed row is. A transition or approval cell
 * restricted to None, Archived and Staging holds only the lower-stage
 * ability; a plain `x` holds both.
 */
const SEED_ROWS: Readonly<
  Record<string, { any: readonly Ability[]; unrestricted?: readonly Ability[] }>
> = {
  'View model details, versions, stage transition requests, activities, and artifact download URIs':
    { any: ['registry:ReadRegisteredModel'] },
  'Request a model version stage transition': {
    any: ['registry:RequestTransition'],
  },
  'Add a version to a model': {
    any: ['registry:CreateModelVersion'],
  },
  'Update model and version description': {
    any: ['registry:UpdateDescription'],
  },
  'Add or edit tags for a model or model version': {
    any: ['registry:EditTags'],
  },
  'Transition model version between stages': {
    any: ['registry:TransitionToStaging'],
    unrestricted: ['registry:TransitionToProduction'],
  },
  'Approve or reject a model version stage transition request': {
    any: ['registry:ApproveTransitionToStaging'],
    unrestricted: ['registry:ApproveTransitionToProduction'],
  },
  'Cancel a model version stage transition request (see Note)': {
    any: ['registry:CancelTransitionRequest'],
  },
  'Rename model': { any: ['registry:RenameRegisteredModel'] },
  'Modify permissions': { any: ['registry:ModifyPermissions'] },
  'Delete model and model versions': {
    any: ['registry:DeleteRegisteredModel', 'registry:DeleteModelVersion'],
  },
};

/** The table's rows: ability text → cell text per level. */
function seedTable(): Map<string, Record<EffectiveLevel, string>> {
  const lines = SEED_001.trim().split('\n').slice(1);
  return new Map(
    lines.map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      const [ability = '', ...levels] = cells;
      expect(levels).toHaveLength(COLUMNS.length);
      return [
        ability,
        Object.fromEntries(
          COLUMNS.map((level, index) => [level, levels[index] ?? ''])
        ) as Record<EffectiveLevel, string>,
      ];
    })
  );
}

/** Our table's answer for one ability, level by level. */
const ours = (ability: Ability) =>
  Object.fromEntries(
    COLUMNS.map((level) => [level, levelAllows(level, ability)])
  );

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    id: '42',
    userName: 'alice@example.com',
    kind: 'user',
    isAdmin: false,
    groups: [],
    ...overrides,
  };
}

const user = (name: string): Grantee => ({ kind: 'user', name });
const group = (name: string): Grantee => ({ kind: 'group', name });
const robot = (name: string): Grantee => ({ kind: 'service_principal', name });

describe('permissions', () => {
  describe('PERMISSION_TABLE', () => {
    it('covers every row of the published table, and only the abilities named for them plus aliases', () => {
      // Prepare
      const mapped = Object.values(SEED_ROWS).flatMap((row) => [
        ...row.any,
        ...(row.unrestricted ?? []),
      ]);

      // Act
      const seedRows = [...seedTable().keys()];

      // Assess
      expect(seedRows).toEqual(Object.keys(SEED_ROWS));
      expect(Object.keys(PERMISSION_TABLE).sort()).toEqual(
        [...mapped, 'registry:EditAliases'].sort()
      );
      // Every row is an ability of the one vocabulary, held by its own
      // levels on a model.
      for (const ability of Object.keys(PERMISSION_TABLE) as Ability[]) {
        expect(Object.keys(ABILITIES)).toContain(ability);
      }
    });

    it.each(Object.entries(SEED_ROWS))(
      'matches the published table cell by cell for "%s"',
      (text, abilities) => {
        // Prepare
        const row = seedTable().get(text);
        if (!row) throw new Error(`seed row ${text} is missing`);
        const heldBy = (accept: (cell: string) => boolean) =>
          Object.fromEntries(
            COLUMNS.map((level) => [level, accept(row[level])])
          );

        // Act
        const seedAny = heldBy((cell) => cell === 'x' || cell === RESTRICTED);
        const seedUnrestricted = heldBy((cell) => cell === 'x');

        // Assess
        for (const ability of abilities.any) {
          expect({ ability, levels: ours(ability) }).toEqual({
            ability,
            levels: seedAny,
          });
        }
        for (const ability of abilities.unrestricted ?? []) {
          expect({ ability, levels: ours(ability) }).toEqual({
            ability,
            levels: seedUnrestricted,
          });
        }
      }
    );

    it('gives No Permissions no ability at all', () => {
      // Act
      const held = (Object.keys(PERMISSION_TABLE) as Ability[]).filter(
        (ability) => levelAllows('NO_PERMISSIONS', ability)
      );

      // Assess
      expect(held).toEqual([]);
    });

    it('holds aliases (not in the seed) at the same levels as tags', () => {
      // Act & Assess
      expect(ours('registry:EditAliases')).toEqual(ours('registry:EditTags'));
    });

    it('grows with the level: a higher level holds every ability of a lower one', () => {
      // Prepare
      const abilities = Object.keys(PERMISSION_TABLE) as Ability[];

      // Act
      const lost = COLUMNS.slice(1).flatMap((level, index) => {
        const lower = COLUMNS[index] ?? 'NO_PERMISSIONS';
        return abilities
          .filter((a) => levelAllows(lower, a) && !levelAllows(level, a))
          .map((a) => `${level} lacks ${a} that ${lower} holds`);
      });

      // Assess
      expect(lost).toEqual([]);
    });
  });

  describe('effectiveLevel', () => {
    it('is No Permissions without any grant of the principal', () => {
      // Prepare
      const grants: Grant[] = [
        { grantee: user('bob@example.com'), level: 'CAN_MANAGE' },
        { grantee: group('other'), level: 'CAN_EDIT' },
      ];

      // Act
      const level = effectiveLevel(principal(), grants, []);

      // Assess
      expect(level).toBe('NO_PERMISSIONS');
    });

    it('is a direct grant to the user', () => {
      // Act
      const level = effectiveLevel(
        principal(),
        [{ grantee: user('alice@example.com'), level: 'CAN_EDIT' }],
        []
      );

      // Assess
      expect(level).toBe('CAN_EDIT');
    });

    it('is a grant to one of its groups', () => {
      // Act
      const level = effectiveLevel(
        principal({ groups: ['ml'] }),
        [{ grantee: group('ml'), level: 'CAN_MANAGE_STAGING_VERSIONS' }],
        []
      );

      // Assess
      expect(level).toBe('CAN_MANAGE_STAGING_VERSIONS');
    });

    it('matches a service principal by application id, and not a user of the same name', () => {
      // Prepare
      const appId = '7b4f2c58-0f0e-4a8d-9a3a-2c1d9f3e6b10';
      const sp = principal({ kind: 'service_principal', userName: appId });

      // Act
      const granted = effectiveLevel(
        sp,
        [{ grantee: robot(appId), level: 'CAN_READ' }],
        []
      );
      const asUser = effectiveLevel(
        sp,
        [{ grantee: user(appId), level: 'CAN_READ' }],
        []
      );
      const userAsRobot = effectiveLevel(
        principal(),
        [{ grantee: robot('alice@example.com'), level: 'CAN_READ' }],
        []
      );

      // Assess
      expect(granted).toBe('CAN_READ');
      expect(asUser).toBe('NO_PERMISSIONS');
      expect(userAsRobot).toBe('NO_PERMISSIONS');
    });

    it('is the highest of direct, group and root grants', () => {
      // Prepare
      const caller = principal({ groups: ['ml'] });
      const direct: Grant = {
        grantee: user('alice@example.com'),
        level: 'CAN_READ',
      };
      const viaGroup: Grant = { grantee: group('ml'), level: 'CAN_EDIT' };

      // Act
      const directWins = effectiveLevel(
        caller,
        [{ ...direct, level: 'CAN_MANAGE' }, viaGroup],
        [{ grantee: group('ml'), level: 'CAN_READ' }]
      );
      const groupWins = effectiveLevel(caller, [direct, viaGroup], []);
      const rootWins = effectiveLevel(
        caller,
        [direct, viaGroup],
        [
          {
            grantee: user('alice@example.com'),
            level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
          },
        ]
      );

      // Assess
      expect(directWins).toBe('CAN_MANAGE');
      expect(groupWins).toBe('CAN_EDIT');
      expect(rootWins).toBe('CAN_MANAGE_PRODUCTION_VERSIONS');
    });

    it('applies root grants to a model without grants of its own', () => {
      // Act
      const level = effectiveLevel(
        principal({ groups: ['readers'] }),
        [],
        [{ grantee: group('readers'), level: 'CAN_READ' }]
      );

      // Assess
      expect(level).toBe('CAN_READ');
    });

    it('counts every principal in the group users, without it being listed', () => {
      // Prepare
      const grants: Grant[] = [{ grantee: group('users'), level: 'CAN_EDIT' }];

      // Act
      const onModel = effectiveLevel(principal({ groups: [] }), grants, []);
      const onRoot = effectiveLevel(
        principal({ kind: 'service_principal', userName: 'app-1' }),
        [],
        grants
      );

      // Assess
      expect(onModel).toBe('CAN_EDIT');
      expect(onRoot).toBe('CAN_EDIT');
    });

    it('gives admins Can Manage without any grant', () => {
      // Act
      const level = effectiveLevel(
        principal({ isAdmin: true, groups: ['admins'] }),
        [],
        []
      );

      // Assess
      expect(level).toBe('CAN_MANAGE');
    });

    it('grants no model level for root CAN_CREATE_REGISTERED_MODEL', () => {
      // Prepare
      const root: Grant<RootPermissionLevel>[] = [
        {
          grantee: user('alice@example.com'),
          level: 'CAN_CREATE_REGISTERED_MODEL',
        },
        ...DEFAULT_ROOT_GRANTS,
      ];

      // Act
      const level = effectiveLevel(principal(), [], root);

      // Assess
      expect(level).toBe('NO_PERMISSIONS');
    });
  });

  describe('transitionAbility', () => {
    const lowerStages: readonly Stage[] = ['None', 'Staging', 'Archived'];
    const pairs = STAGES.flatMap((from) =>
      STAGES.map((to) => [from, to] as const)
    );

    it('covers the 16 from/to pairs', () => {
      // Act & Assess
      expect(pairs).toHaveLength(16);
    });

    it.each(pairs)(
      '%s → %s needs the lower-stage ability unless Production is on either side',
      (from, to) => {
        // Prepare
        const lower = lowerStages.includes(from) && lowerStages.includes(to);

        // Act
        const transition = transitionAbility(from, to, 'transition');
        const approve = transitionAbility(from, to, 'approve');

        // Assess
        expect({ transition, approve }).toEqual(
          lower
            ? {
                transition: 'registry:TransitionToStaging',
                approve: 'registry:ApproveTransitionToStaging',
              }
            : {
                transition: 'registry:TransitionToProduction',
                approve: 'registry:ApproveTransitionToProduction',
              }
        );
      }
    );

    it.each([
      ['None', 'Staging', true],
      ['Staging', 'Archived', true],
      ['Archived', 'Staging', true],
      ['Staging', 'None', true],
      ['None', 'Production', false],
      ['Staging', 'Production', false],
      ['Production', 'Archived', false],
      ['Production', 'Staging', false],
    ] as const)(
      'lets Can Manage Staging Versions move %s → %s: %s',
      (from, to, allowed) => {
        // Act
        const held = levelAllows(
          'CAN_MANAGE_STAGING_VERSIONS',
          transitionAbility(from, to, 'transition')
        );

        // Assess
        expect(held).toBe(allowed);
      }
    );
  });

  describe('lowestLevelFor', () => {
    it('is the lowest level that holds the ability', () => {
      // Act & Assess
      expect(lowestLevelFor('registry:ReadRegisteredModel')).toBe('CAN_READ');
      expect(lowestLevelFor('registry:EditTags')).toBe('CAN_EDIT');
      expect(lowestLevelFor('registry:TransitionToStaging')).toBe(
        'CAN_MANAGE_STAGING_VERSIONS'
      );
      expect(lowestLevelFor('registry:ApproveTransitionToProduction')).toBe(
        'CAN_MANAGE_PRODUCTION_VERSIONS'
      );
      expect(lowestLevelFor('registry:ModifyPermissions')).toBe('CAN_MANAGE');
    });
  });

  describe('rootLevelsHeld', () => {
    it('collects the root levels of the principal, its groups and users', () => {
      // Act
      const held = rootLevelsHeld(principal({ groups: ['ml'] }), [
        { grantee: user('alice@example.com'), level: 'CAN_READ' },
        { grantee: group('ml'), level: 'CAN_MANAGE' },
        ...DEFAULT_ROOT_GRANTS,
        { grantee: group('other'), level: 'CAN_EDIT' },
      ]);

      // Assess
      expect([...held].sort()).toEqual(
        ['CAN_CREATE_REGISTERED_MODEL', 'CAN_MANAGE', 'CAN_READ'].sort()
      );
    });
  });
});
