import { describe, expect, it } from 'vitest';
import {
  ABILITIES,
  type Ability,
  allows,
  authorize,
  isAdminOnly,
  levelOn,
  type ModelResource,
  type Resource,
  type ResourceKind,
} from '#domain/authorization.ts';
import { PermissionDeniedError } from '#domain/errors.ts';
import {
  DEFAULT_ROOT_GRANTS,
  type EffectiveLevel,
  type Grant,
  PERMISSION_LEVELS,
  type PermissionLevel,
  type RootPermissionLevel,
} from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import {
  DEFAULT_REGISTRY_POLICY,
  type StagePolicy,
} from '#domain/stage-policy.ts';
import { STAGES, type Stage } from '#domain/stages.ts';

const LEVELS: readonly EffectiveLevel[] = [
  'NO_PERMISSIONS',
  ...PERMISSION_LEVELS,
];

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

/** No stage protected: the level alone decides a direct transition. */
const UNPROTECTED: StagePolicy = { protectedStages: [], requiredApprovals: 1 };

const ALICE = principal();
const ADMIN = principal({ id: '1', userName: 'admin', isAdmin: true });

/** A model on which Alice holds `level` (none for No Permissions). */
function modelAt(level: EffectiveLevel, named = 'churn'): ModelResource {
  return {
    named,
    grants:
      level === 'NO_PERMISSIONS'
        ? []
        : [{ grantee: { kind: 'user', name: ALICE.userName }, level }],
    rootGrants: DEFAULT_ROOT_GRANTS,
  };
}

/** Levels at or above `lowest`. */
function from(lowest: PermissionLevel): EffectiveLevel[] {
  return PERMISSION_LEVELS.slice(PERMISSION_LEVELS.indexOf(lowest));
}

const lowerStages: readonly Stage[] = ['None', 'Staging', 'Archived'];
const touchesProduction = (a: Stage, b: Stage) =>
  !lowerStages.includes(a) || !lowerStages.includes(b);

function refusalOf(
  who: Principal,
  ability: Ability,
  resource: Resource
): string | undefined {
  try {
    authorize(who, ability, resource);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as PermissionDeniedError).code).toBe('PERMISSION_DENIED');
    return (error as Error).message;
  }
}

/** Which levels hold `ability` on the resource `at(level)` builds. */
function holders(
  ability: Ability,
  at: (level: EffectiveLevel) => Resource,
  who: Principal = ALICE
): EffectiveLevel[] {
  return LEVELS.filter((level) => allows(who, ability, at(level)));
}

/** The lowest level holding each ability asked about a model. */
const ON_A_MODEL: Readonly<Partial<Record<Ability, PermissionLevel>>> = {
  'registry:ReadRegisteredModel': 'CAN_READ',
  'registry:ReadArtifacts': 'CAN_READ',
  'registry:RequestTransition': 'CAN_READ',
  'registry:CommentOnModelVersion': 'CAN_READ',
  'registry:CreateModelVersion': 'CAN_EDIT',
  'registry:UpdateDescription': 'CAN_EDIT',
  'registry:EditTags': 'CAN_EDIT',
  'registry:EditAliases': 'CAN_EDIT',
  'registry:TransitionToStaging': 'CAN_MANAGE_STAGING_VERSIONS',
  'registry:ApproveTransitionToStaging': 'CAN_MANAGE_STAGING_VERSIONS',
  'registry:TransitionToProduction': 'CAN_MANAGE_PRODUCTION_VERSIONS',
  'registry:ApproveTransitionToProduction': 'CAN_MANAGE_PRODUCTION_VERSIONS',
  'registry:RenameRegisteredModel': 'CAN_MANAGE',
  'registry:ModifyPermissions': 'CAN_MANAGE',
  'registry:DeleteRegisteredModel': 'CAN_MANAGE',
  'registry:DeleteModelVersion': 'CAN_MANAGE',
  'registry:ManageTransitionSettings': 'CAN_MANAGE',
};

const stagePairs = STAGES.flatMap((a) =>
  STAGES.filter((b) => b !== a).map((b) => [a, b] as const)
);

describe('authorization', () => {
  describe('ABILITIES', () => {
    it('asks every ability about at least one kind of resource, the admin: ones about none in particular', () => {
      // Act
      const entries = Object.entries(ABILITIES) as [
        Ability,
        { on: readonly ResourceKind[] },
      ][];

      // Assess
      expect(entries.filter(([, rule]) => rule.on.length === 0)).toEqual([]);
      expect(
        entries.filter(([ability]) => isAdminOnly(ability)).map(([a]) => a)
      ).toEqual([
        'admin:ManageRegistryPolicy',
        'admin:ManageIdentities',
        'admin:ManageTokens',
        'admin:ManageServicePrincipalSecrets',
        'admin:ManageIpAccessLists',
      ]);
    });

    it('names every ability in the IAM style, by service', () => {
      // Act
      const odd = Object.keys(ABILITIES).filter(
        (ability) =>
          !/^(registry|artifacts|identity|admin):[A-Z][A-Za-z]+$/.test(ability)
      );

      // Assess
      expect(odd).toEqual([]);
    });
  });

  describe('authorize on a model', () => {
    it('covers every ability asked about a model', () => {
      // Act
      const onModels = (Object.keys(ABILITIES) as Ability[]).filter((a) =>
        (ABILITIES[a].on as readonly ResourceKind[]).includes('model')
      );

      // Assess
      expect(onModels.sort()).toEqual(Object.keys(ON_A_MODEL).sort());
    });

    it.each(Object.entries(ON_A_MODEL) as [Ability, PermissionLevel][])(
      '%s is held from %s up, and by admins without a grant',
      (ability, lowest) => {
        // Act
        const held = holders(ability, (level) => ({
          kind: 'model',
          model: modelAt(level),
        }));
        const byAdmin = allows(ADMIN, ability, {
          kind: 'model',
          model: modelAt('NO_PERMISSIONS'),
        });

        // Assess
        expect(held).toEqual(from(lowest));
        expect(byAdmin).toBe(true);
      }
    );

    it('names the action, the model as the caller named it, and the level it needs', () => {
      // Act
      const byName = refusalOf(ALICE, 'registry:EditTags', {
        kind: 'model',
        model: modelAt('CAN_READ'),
      });
      const byId = refusalOf(ALICE, 'registry:ModifyPermissions', {
        kind: 'model',
        model: modelAt('CAN_EDIT', 'c'.repeat(32)),
      });

      // Assess
      expect(byName).toBe(
        "alice@example.com does not have permission to registry:EditTags on registered model 'churn': it needs CAN_EDIT."
      );
      expect(byId).toBe(
        `alice@example.com does not have permission to registry:ModifyPermissions on registered model '${'c'.repeat(32)}': it needs CAN_MANAGE.`
      );
      expect(byId).not.toContain('churn');
    });

    it('counts group and root grants', () => {
      // Prepare
      const member = principal({ groups: ['ml'] });
      const viaGroup: ModelResource = {
        named: 'churn',
        grants: [{ grantee: { kind: 'group', name: 'ml' }, level: 'CAN_EDIT' }],
        rootGrants: [],
      };
      const viaRoot: ModelResource = {
        named: 'churn',
        grants: [],
        rootGrants: [
          { grantee: { kind: 'group', name: 'users' }, level: 'CAN_READ' },
        ],
      };

      // Act & Assess
      expect(levelOn(member, viaGroup)).toBe('CAN_EDIT');
      expect(
        allows(member, 'registry:EditTags', { kind: 'model', model: viaGroup })
      ).toBe(true);
      expect(
        allows(ALICE, 'registry:ReadRegisteredModel', {
          kind: 'model',
          model: viaRoot,
        })
      ).toBe(true);
    });

    it('refuses to answer for an ability not asked about that kind of resource', () => {
      // Act
      const misuse = () =>
        authorize(ALICE, 'registry:EditComment', {
          kind: 'model',
          model: modelAt('CAN_MANAGE'),
        });

      // Assess
      expect(misuse).toThrow(/not asked about a model/);
      expect(misuse).not.toThrow(PermissionDeniedError);
    });
  });

  describe('authorize a stage change', () => {
    it.each(stagePairs)(
      'registry:TransitionModelVersionStage %s → %s takes the ability its stages need',
      (a, b) => {
        // Act
        const held = holders(
          'registry:TransitionModelVersionStage',
          (level) => ({
            kind: 'stage-change',
            model: modelAt(level),
            from: a,
            to: b,
            policy: UNPROTECTED,
          })
        );

        // Assess
        expect(held).toEqual(
          from(
            touchesProduction(a, b)
              ? 'CAN_MANAGE_PRODUCTION_VERSIONS'
              : 'CAN_MANAGE_STAGING_VERSIONS'
          )
        );
      }
    );

    it('names the ability the stages need in a refusal', () => {
      // Act
      const refused = refusalOf(ALICE, 'registry:TransitionModelVersionStage', {
        kind: 'stage-change',
        model: modelAt('CAN_MANAGE_STAGING_VERSIONS'),
        from: 'Staging',
        to: 'Production',
        policy: DEFAULT_REGISTRY_POLICY,
      });

      // Assess
      expect(refused).toBe(
        "alice@example.com does not have permission to registry:TransitionToProduction on registered model 'churn': it needs CAN_MANAGE_PRODUCTION_VERSIONS."
      );
    });

    it('refuses everyone but admins a direct move into a protected stage, saying how to request it', () => {
      // Prepare
      const into = (
        to: Stage,
        policy: StagePolicy,
        from: Stage = 'Staging'
      ): Resource => ({
        kind: 'stage-change',
        model: modelAt('CAN_MANAGE'),
        from,
        to,
        policy,
      });
      const twoApprovals: StagePolicy = {
        protectedStages: ['Staging', 'Production'],
        requiredApprovals: 2,
      };

      // Act
      const byManager = refusalOf(
        ALICE,
        'registry:TransitionModelVersionStage',
        into('Production', DEFAULT_REGISTRY_POLICY)
      );
      const byAdmin = allows(
        ADMIN,
        'registry:TransitionModelVersionStage',
        into('Production', twoApprovals)
      );
      const intoStaging = refusalOf(
        ALICE,
        'registry:TransitionModelVersionStage',
        into('Staging', twoApprovals, 'None')
      );
      const leaving = allows(
        ALICE,
        'registry:TransitionModelVersionStage',
        into('Archived', DEFAULT_REGISTRY_POLICY, 'Production')
      );
      const unprotected = allows(
        ALICE,
        'registry:TransitionModelVersionStage',
        into('Production', UNPROTECTED)
      );

      // Assess
      expect(byManager).toBe(
        'Production is a protected stage of registered model \'churn\': a version enters it only through an approved transition request (1 approval by someone other than the requester). Request it with POST /api/2.0/mlflow/transition-requests/create {"name", "version", "stage": "Production"} (stagegate request <model> <version> Production).'
      );
      expect(byAdmin).toBe(true);
      expect(intoStaging).toContain('(2 approvals by someone other');
      expect(leaving).toBe(true);
      expect(unprotected).toBe(true);
    });
  });

  describe('authorize a decision on a request', () => {
    const request = (
      level: EffectiveLevel,
      overrides: Partial<Extract<Resource, { kind: 'request' }>> = {}
    ): Resource => ({
      kind: 'request',
      model: modelAt(level),
      from: 'None',
      to: 'Staging',
      separationOfDutiesStages: ['Production'],
      policy: UNPROTECTED,
      creator: 'bob@example.com',
      ...overrides,
    });

    it.each(stagePairs)(
      'registry:DecideTransitionRequest %s → %s takes the approve ability its stages need',
      (a, b) => {
        // Act
        const held = holders('registry:DecideTransitionRequest', (level) =>
          request(level, { from: a, to: b })
        );

        // Assess
        expect(held).toEqual(
          from(
            touchesProduction(a, b)
              ? 'CAN_MANAGE_PRODUCTION_VERSIONS'
              : 'CAN_MANAGE_STAGING_VERSIONS'
          )
        );
      }
    );

    it('keeps the creator from deciding a request to a separation-of-duties stage, admins included', () => {
      // Act
      const ownProduction = refusalOf(
        ALICE,
        'registry:DecideTransitionRequest',
        request('CAN_MANAGE', {
          to: 'Production',
          creator: ALICE.userName,
        })
      );
      const adminsOwn = allows(
        ADMIN,
        'registry:DecideTransitionRequest',
        request('NO_PERMISSIONS', { to: 'Production', creator: 'admin' })
      );
      const ownStaging = allows(
        ALICE,
        'registry:DecideTransitionRequest',
        request('CAN_MANAGE', { creator: ALICE.userName })
      );
      const ownStagingWhenListed = allows(
        ALICE,
        'registry:DecideTransitionRequest',
        request('CAN_MANAGE', {
          creator: ALICE.userName,
          separationOfDutiesStages: ['Staging'],
        })
      );
      const othersProduction = allows(
        ALICE,
        'registry:DecideTransitionRequest',
        request('CAN_MANAGE', { to: 'Production' })
      );

      // Assess
      expect(ownProduction).toBe(
        'Separation of duties: the creator of a request to Production may not decide it.'
      );
      expect(adminsOwn).toBe(false);
      expect(ownStaging).toBe(true);
      expect(ownStagingWhenListed).toBe(false);
      expect(othersProduction).toBe(true);
    });

    it('keeps the creator of a request to a protected stage from approving or rejecting it, admins included', () => {
      // Prepare
      const own = (who: Principal) =>
        request('CAN_MANAGE', {
          to: 'Staging',
          separationOfDutiesStages: [],
          policy: { protectedStages: ['Staging'], requiredApprovals: 2 },
          creator: who.userName,
        });

      // Act
      const approve = refusalOf(
        ALICE,
        'registry:ApproveTransitionRequest',
        own(ALICE)
      );
      const reject = allows(
        ALICE,
        'registry:DecideTransitionRequest',
        own(ALICE)
      );
      const adminsOwn = allows(
        ADMIN,
        'registry:ApproveTransitionRequest',
        own(ADMIN)
      );
      const others = allows(
        ALICE,
        'registry:ApproveTransitionRequest',
        request('CAN_MANAGE', {
          to: 'Staging',
          policy: { protectedStages: ['Staging'], requiredApprovals: 2 },
        })
      );

      // Assess
      expect(approve).toBe(
        'Separation of duties: the creator of a request to Staging may not decide it (Staging is a protected stage: its approvals come from others).'
      );
      expect(reject).toBe(false);
      expect(adminsOwn).toBe(false);
      expect(others).toBe(true);
    });

    it('takes each approval from a different approver; one who approved may still reject', () => {
      // Prepare
      const twoApprovals = {
        to: 'Production',
        policy: { protectedStages: ['Production'], requiredApprovals: 2 },
        approvers: [ALICE.userName],
      } as const;
      const approvedByAlice = request('CAN_MANAGE', twoApprovals);

      // Act
      const again = refusalOf(
        ALICE,
        'registry:ApproveTransitionRequest',
        approvedByAlice
      );
      const reject = allows(
        ALICE,
        'registry:DecideTransitionRequest',
        approvedByAlice
      );
      const someoneElse = allows(
        principal({ userName: 'carol@example.com' }),
        'registry:ApproveTransitionRequest',
        request('NO_PERMISSIONS', {
          ...twoApprovals,
          model: {
            ...modelAt('NO_PERMISSIONS'),
            grants: [
              {
                grantee: { kind: 'user', name: 'carol@example.com' },
                level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
              },
            ],
          },
        })
      );

      // Assess
      expect(again).toBe(
        'alice@example.com has already approved this request: each of the 2 approvals it needs comes from a different approver.'
      );
      expect(reject).toBe(true);
      expect(someoneElse).toBe(true);
    });

    it.each(stagePairs)(
      'registry:ApproveTransitionRequest %s → %s takes the approve ability its stages need',
      (a, b) => {
        // Act
        const held = holders('registry:ApproveTransitionRequest', (level) =>
          request(level, { from: a, to: b })
        );

        // Assess
        expect(held).toEqual(
          from(
            touchesProduction(a, b)
              ? 'CAN_MANAGE_PRODUCTION_VERSIONS'
              : 'CAN_MANAGE_STAGING_VERSIONS'
          )
        );
      }
    );

    it('checks the level alone when no request was addressed (the use case answers 404)', () => {
      // Act & Assess
      expect(
        allows(
          ALICE,
          'registry:DecideTransitionRequest',
          request('CAN_MANAGE_STAGING_VERSIONS', { creator: undefined })
        )
      ).toBe(true);
      expect(
        allows(
          ALICE,
          'registry:DecideTransitionRequest',
          request('CAN_EDIT', { creator: undefined })
        )
      ).toBe(false);
    });

    it('lets the creator cancel with read access, and others only with Can Manage', () => {
      // Act
      const byCreator = holders('registry:CancelTransitionRequest', (level) =>
        request(level, { creator: ALICE.userName })
      );
      const byOthers = holders('registry:CancelTransitionRequest', (level) =>
        request(level)
      );
      const nothingAddressed = holders(
        'registry:CancelTransitionRequest',
        (level) => request(level, { creator: undefined })
      );
      const refused = refusalOf(
        ALICE,
        'registry:CancelTransitionRequest',
        request('CAN_MANAGE_PRODUCTION_VERSIONS')
      );

      // Assess
      expect(byCreator).toEqual(from('CAN_READ'));
      expect(byOthers).toEqual(['CAN_MANAGE']);
      expect(nothingAddressed).toEqual(from('CAN_READ'));
      expect(refused).toBe(
        'alice@example.com may not cancel a request made by bob@example.com: only its creator or a CAN_MANAGE holder may.'
      );
      expect(
        allows(
          ADMIN,
          'registry:CancelTransitionRequest',
          request('NO_PERMISSIONS')
        )
      ).toBe(true);
    });
  });

  describe('authorize on a comment', () => {
    const comment = (level: EffectiveLevel, author: string): Resource => ({
      kind: 'comment',
      model: modelAt(level),
      author,
    });

    it('lets only the author edit, with read access', () => {
      // Act
      const ownEdit = holders('registry:EditComment', (level) =>
        comment(level, ALICE.userName)
      );
      const othersEdit = holders('registry:EditComment', (level) =>
        comment(level, 'bob@example.com')
      );
      const adminEdit = allows(
        ADMIN,
        'registry:EditComment',
        comment('NO_PERMISSIONS', 'bob@example.com')
      );

      // Assess
      expect(ownEdit).toEqual(from('CAN_READ'));
      expect(othersEdit).toEqual([]);
      expect(adminEdit).toBe(false);
      expect(
        refusalOf(
          ALICE,
          'registry:EditComment',
          comment('CAN_MANAGE', 'bob@example.com')
        )
      ).toBe('Only the author of a comment may edit it.');
    });

    it('lets the author or a Can Manage holder delete', () => {
      // Act
      const ownDelete = holders('registry:DeleteComment', (level) =>
        comment(level, ALICE.userName)
      );
      const othersDelete = holders('registry:DeleteComment', (level) =>
        comment(level, 'bob@example.com')
      );

      // Assess
      expect(ownDelete).toEqual(from('CAN_READ'));
      expect(othersDelete).toEqual(['CAN_MANAGE']);
      expect(
        refusalOf(
          ALICE,
          'registry:DeleteComment',
          comment('CAN_EDIT', 'bob@example.com')
        )
      ).toBe(
        'Only the author of a comment or a CAN_MANAGE holder may delete it.'
      );
    });

    it('refuses a caller who cannot read the model as for the model itself', () => {
      // Act
      const refused = refusalOf(
        ALICE,
        'registry:EditComment',
        comment('NO_PERMISSIONS', ALICE.userName)
      );

      // Assess
      expect(refused).toMatch(
        /^alice@example.com does not have permission to registry:EditComment on registered model 'churn': it needs CAN_READ\.$/
      );
    });
  });

  describe('authorize on root', () => {
    const root = (
      level: RootPermissionLevel | undefined,
      defaults = false
    ): Resource => ({
      kind: 'root',
      rootGrants: [
        ...(defaults ? DEFAULT_ROOT_GRANTS : []),
        ...(level
          ? [
              {
                grantee: { kind: 'user', name: ALICE.userName },
                level,
              } as Grant<RootPermissionLevel>,
            ]
          : []),
      ],
    });
    const ROOT_LEVELS: readonly RootPermissionLevel[] = [
      ...PERMISSION_LEVELS,
      'CAN_CREATE_REGISTERED_MODEL',
    ];

    it('lets everyone create models under the default root grants (group users)', () => {
      // Act & Assess
      expect(
        allows(ALICE, 'registry:CreateRegisteredModel', root(undefined, true))
      ).toBe(true);
    });

    it('lets root CAN_CREATE_REGISTERED_MODEL or CAN_MANAGE create models, and admins whatever the grants', () => {
      // Act
      const held = ROOT_LEVELS.filter((level) =>
        allows(ALICE, 'registry:CreateRegisteredModel', root(level))
      );

      // Assess
      expect(held).toEqual(['CAN_MANAGE', 'CAN_CREATE_REGISTERED_MODEL']);
      expect(
        allows(ADMIN, 'registry:CreateRegisteredModel', root(undefined))
      ).toBe(true);
      expect(
        refusalOf(ALICE, 'registry:CreateRegisteredModel', root(undefined))
      ).toBe(
        'alice@example.com does not have permission to registry:CreateRegisteredModel on the registry.'
      );
    });

    it('lets only admins and root Can Manage holders modify root’s grants, through a group too', () => {
      // Prepare
      const member = principal({ groups: ['ops'] });
      const viaGroup: Resource = {
        kind: 'root',
        rootGrants: [
          { grantee: { kind: 'group', name: 'ops' }, level: 'CAN_MANAGE' },
        ],
      };

      // Act
      const held = ROOT_LEVELS.filter((level) =>
        allows(ALICE, 'registry:ModifyPermissions', root(level, true))
      );

      // Assess
      expect(held).toEqual(['CAN_MANAGE']);
      expect(allows(member, 'registry:ModifyPermissions', viaGroup)).toBe(true);
      expect(allows(ADMIN, 'registry:ModifyPermissions', root(undefined))).toBe(
        true
      );
      expect(
        refusalOf(ALICE, 'registry:ModifyPermissions', root('CAN_EDIT'))
      ).toBe(
        'alice@example.com does not have permission to registry:ModifyPermissions on the registry.'
      );
    });

    it('lets anyone read root’s grants and list models', () => {
      // Act & Assess
      expect(
        allows(ALICE, 'registry:ReadRegisteredModel', root(undefined))
      ).toBe(true);
      expect(
        allows(ALICE, 'registry:ListRegisteredModels', root(undefined))
      ).toBe(true);
    });
  });

  describe('authorize on the registry, uploads and webhooks', () => {
    it('lets admins alone hold the admin: abilities', () => {
      // Act & Assess
      for (const ability of [
        'admin:ManageIdentities',
        'admin:ManageTokens',
        'admin:ManageRegistryPolicy',
      ] as const) {
        expect(allows(ADMIN, ability, { kind: 'registry' })).toBe(true);
        expect(refusalOf(ALICE, ability, { kind: 'registry' })).toBe(
          'alice@example.com is not a workspace admin.'
        );
      }
    });

    it('lets any principal act on itself', () => {
      // Act & Assess
      expect(allows(ALICE, 'identity:ReadSelf', { kind: 'registry' })).toBe(
        true
      );
      expect(
        allows(ALICE, 'identity:ManageOwnTokens', { kind: 'registry' })
      ).toBe(true);
    });

    it('lets anyone read the registry’s policy and list their inbox', () => {
      // Act & Assess
      expect(
        allows(ALICE, 'registry:ReadRegistryPolicy', { kind: 'registry' })
      ).toBe(true);
      expect(
        allows(ALICE, 'registry:ListTransitionRequestInbox', {
          kind: 'registry',
        })
      ).toBe(true);
    });

    it('lets an upload’s opener (by principal id) or an admin use it', () => {
      // Prepare
      const upload = (ownerId: string): Resource => ({
        kind: 'upload',
        id: 'u1',
        ownerId,
      });

      // Act & Assess
      expect(allows(ALICE, 'artifacts:UploadArtifacts', upload('42'))).toBe(
        true
      );
      expect(allows(ADMIN, 'artifacts:UploadArtifacts', upload('42'))).toBe(
        true
      );
      expect(
        allows(
          principal({ id: '43', userName: ALICE.userName }),
          'artifacts:UploadArtifacts',
          upload('42')
        )
      ).toBe(false);
      expect(refusalOf(ALICE, 'artifacts:UploadArtifacts', upload('7'))).toBe(
        'alice@example.com may not use upload u1: only the principal that created it (or an admin) may.'
      );
    });

    it('lets Can Manage holders manage a model’s webhooks, and admins alone registry-wide ones', () => {
      // Act
      const held = holders('registry:ManageWebhooks', (level) => ({
        kind: 'webhook',
        model: modelAt(level),
      }));
      const byName = refusalOf(ALICE, 'registry:ManageWebhooks', {
        kind: 'webhook',
        model: modelAt('CAN_EDIT'),
      });
      const byId = refusalOf(ALICE, 'registry:ManageWebhooks', {
        kind: 'webhook',
        id: 'w1',
        model: modelAt('CAN_EDIT'),
      });
      const registryWide = refusalOf(ALICE, 'registry:ManageWebhooks', {
        kind: 'webhook',
      });

      // Assess
      expect(held).toEqual(['CAN_MANAGE']);
      expect(byName).toBe(
        "alice@example.com does not have permission to registry:ManageWebhooks on registered model 'churn': it needs CAN_MANAGE."
      );
      expect(byId).toBe(
        "alice@example.com does not have permission to registry:ManageWebhooks on webhook w1: it needs CAN_MANAGE on the webhook's registered model."
      );
      expect(byId).not.toContain('churn');
      expect(registryWide).toBe(
        'alice@example.com is not a workspace admin: registry-wide webhooks are managed by admins only.'
      );
      expect(
        allows(ADMIN, 'registry:ManageWebhooks', { kind: 'webhook' })
      ).toBe(true);
    });
  });
});
