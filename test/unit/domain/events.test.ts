import { describe, expect, it } from 'vitest';
import {
  busEntries,
  commentCreated,
  eventPayload,
  modelVersionCreated,
  modelVersionTagSet,
  modelVersionTransitioned,
  possibleApprovers,
  recipientJson,
  registeredModelCreated,
  registrationFinished,
  transitionRequestCreated,
  transitionRequestDecided,
  transitionRequestExpired,
  transitionRequestReminder,
  typedEventId,
  webhookPayload,
} from '#domain/events.ts';
import type { Grant, RootPermissionLevel } from '#domain/permissions.ts';

const T0 = 1_700_000_000_000;
const origin = { id: 'e'.repeat(32), at: T0 };
const model = { id: 'm'.repeat(32), name: 'fraud' };
const request = {
  id: 'r'.repeat(32),
  modelId: model.id,
  version: 3,
  fromStage: 'Staging' as const,
  toStage: 'Production' as const,
  creator: 'alice@example.com',
  comment: 'ship it',
  creationTimestamp: T0 - 30 * 3_600_000,
};

describe('registry events', () => {
  describe('types', () => {
    it.each([
      [
        'Staging',
        [
          'MODEL_VERSION_TRANSITIONED_STAGE',
          'MODEL_VERSION_TRANSITIONED_TO_STAGING',
        ],
      ],
      [
        'Production',
        [
          'MODEL_VERSION_TRANSITIONED_STAGE',
          'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
        ],
      ],
      [
        'Archived',
        [
          'MODEL_VERSION_TRANSITIONED_STAGE',
          'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
        ],
      ],
      ['None', ['MODEL_VERSION_TRANSITIONED_STAGE']],
    ] as const)(
      'fires the generic and the stage’s own type for a move to %s',
      (to, types) => {
        // Act
        const event = modelVersionTransitioned(
          origin,
          model,
          { version: 1, from: 'Staging', to },
          'bob'
        );

        // Assess
        expect(event.types).toEqual(types);
      }
    );

    it.each([
      ['Staging', 'TRANSITION_REQUEST_TO_STAGING_CREATED'],
      ['Production', 'TRANSITION_REQUEST_TO_PRODUCTION_CREATED'],
      ['Archived', 'TRANSITION_REQUEST_TO_ARCHIVED_CREATED'],
    ] as const)(
      'announces a request to %s with its stage’s type',
      (to, type) => {
        // Act
        const event = transitionRequestCreated(
          origin,
          { ...request, toStage: to },
          'fraud',
          []
        );

        // Assess
        expect(event.types).toEqual(['TRANSITION_REQUEST_CREATED', type]);
      }
    );

    it('announces a request to None with the generic type alone', () => {
      expect(
        transitionRequestCreated(
          origin,
          { ...request, toStage: 'None' },
          'fraud',
          []
        ).types
      ).toEqual(['TRANSITION_REQUEST_CREATED']);
    });
  });

  describe('payloads', () => {
    it('gives a transition Databricks’ documented fields, in their order', () => {
      // Prepare
      const event = modelVersionTransitioned(
        origin,
        { id: model.id, name: 'Airline_Delay_SparkML' },
        { version: 8, from: 'None', to: 'Production' },
        'bob'
      );

      // Act
      const body = JSON.parse(
        webhookPayload(
          event,
          'MODEL_VERSION_TRANSITIONED_STAGE',
          'Airline_Delay_SparkML',
          'c5596721253c4b429368cf6f4341b88a'
        )
      );

      // Assess
      expect(Object.keys(body)).toEqual([
        'event',
        'webhook_id',
        'event_timestamp',
        'model_name',
        'version',
        'to_stage',
        'from_stage',
        'text',
      ]);
      expect(body).toEqual({
        event: 'MODEL_VERSION_TRANSITIONED_STAGE',
        webhook_id: 'c5596721253c4b429368cf6f4341b88a',
        event_timestamp: T0,
        model_name: 'Airline_Delay_SparkML',
        version: '8',
        to_stage: 'Production',
        from_stage: 'None',
        text: "Registered model 'Airline_Delay_SparkML' version 8 transitioned from None to Production.",
      });
    });

    it('carries the tags of a tag set, the comment of a comment, and no version for a model', () => {
      // Act
      const tagged = eventPayload(
        modelVersionTagSet(
          origin,
          model,
          8,
          { key: 'key1', value: 'value1' },
          'example@example.com'
        ),
        'MODEL_VERSION_TAG_SET',
        'fraud'
      );
      const commented = eventPayload(
        commentCreated(origin, model, {
          version: 8,
          userId: 'bob',
          comment: 'Raw text content of the comment',
        }),
        'COMMENT_CREATED',
        'fraud'
      );
      const created = eventPayload(
        registeredModelCreated(origin, { ...model, userId: 'bob' }),
        'REGISTERED_MODEL_CREATED',
        'fraud'
      );

      // Assess
      expect(tagged).toMatchObject({
        tags: [{ key: 'key1', value: 'value1' }],
        text: "example@example.com set version tag(s) 'key1' = 'value1' for registered model 'fraud' version 8.",
      });
      expect(commented).toMatchObject({
        comment: 'Raw text content of the comment',
        text: "A user commented on registered model 'fraud' version 8.",
      });
      expect(created).toEqual({
        event: 'REGISTERED_MODEL_CREATED',
        event_timestamp: T0,
        model_name: 'fraud',
        text: "Registered model 'fraud' was created.",
      });
    });

    it('keeps the text one short line whatever a tag holds', () => {
      // Act
      const { text } = modelVersionTagSet(
        origin,
        model,
        1,
        { key: 'k', value: `a\nb${'x'.repeat(500)}` },
        'bob'
      );

      // Assess
      expect(text).not.toContain('\n');
      expect(text.length).toBeLessThan(300);
      expect(text).toContain('…');
    });

    it('names the request, its requester and who it is for in request notices', () => {
      // Act
      const approved = eventPayload(
        transitionRequestDecided(origin, request, 'fraud', {
          event: 'approve',
          by: 'carol',
          comment: 'ok',
        }),
        'TRANSITION_REQUEST_APPROVED',
        'fraud'
      );
      const expired = transitionRequestExpired(origin, request);
      const reminder = transitionRequestReminder(origin, request, 'fraud', [
        { kind: 'group', name: 'admins' },
      ]);

      // Assess
      expect(approved).toMatchObject({
        event: 'TRANSITION_REQUEST_APPROVED',
        request_id: request.id,
        requester: 'alice@example.com',
        comment: 'ok',
        recipients: [{ user_name: 'alice@example.com' }],
        text: "carol approved the request of alice@example.com to move registered model 'fraud' version 3 from Staging to Production.",
      });
      expect(expired).toMatchObject({
        types: ['TRANSITION_REQUEST_EXPIRED'],
        userId: 'system',
        recipients: [{ kind: 'user', name: 'alice@example.com' }],
      });
      expect(expired.modelName).toBeUndefined();
      expect(reminder.text).toMatch(/about 30 h/);
      expect(
        transitionRequestDecided(origin, request, undefined, {
          event: 'cancel',
          by: 'alice@example.com',
        }).text
      ).toBe(
        'alice@example.com cancelled the request of alice@example.com to move version 3 from Staging to Production.'
      );
    });

    it('reports a registration’s outcome with the version’s status', () => {
      // Act
      const ready = registrationFinished(
        origin,
        { modelId: model.id, version: 2 },
        { status: 'READY', statusMessage: '' }
      );
      const failed = registrationFinished(
        origin,
        { modelId: model.id, version: 2 },
        { status: 'FAILED_REGISTRATION', statusMessage: 'copy failed' }
      );

      // Assess
      expect(eventPayload(ready, ready.types[0], 'fraud')).toMatchObject({
        event: 'MODEL_VERSION_REGISTRATION_READY',
        status: 'READY',
        version: '2',
      });
      expect(eventPayload(failed, failed.types[0], 'fraud')).toMatchObject({
        event: 'MODEL_VERSION_REGISTRATION_FAILED',
        status: 'FAILED_REGISTRATION',
        status_message: 'copy failed',
      });
    });

    it('puts one bus entry per type, each with its own stable id', () => {
      // Prepare
      const event = modelVersionTransitioned(
        origin,
        model,
        { version: 1, from: 'None', to: 'Staging' },
        'bob'
      );

      // Act
      const entries = busEntries(event, 'fraud');
      const again = busEntries(event, 'fraud');

      // Assess
      expect(entries.map((entry) => entry.detailType)).toEqual(event.types);
      expect(entries.map((entry) => entry.source)).toEqual([
        'stagegate.registry',
        'stagegate.registry',
      ]);
      const ids = entries.map((entry) => entry.detail.event_id);
      expect(new Set(ids).size).toBe(2);
      expect(again.map((entry) => entry.detail.event_id)).toEqual(ids);
      expect(entries[0]?.detail).toMatchObject({
        model_id: model.id,
        event: 'MODEL_VERSION_TRANSITIONED_STAGE',
      });
      expect(typedEventId('a', 'b')).toMatch(/^[0-9a-f]{32}$/);
    });
  });

  describe('possibleApprovers', () => {
    const root: Grant<RootPermissionLevel>[] = [
      {
        grantee: { kind: 'group', name: 'users' },
        level: 'CAN_CREATE_REGISTERED_MODEL',
      },
      {
        grantee: { kind: 'group', name: 'release' },
        level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
      },
    ];
    const grants: Grant[] = [
      {
        grantee: { kind: 'user', name: 'alice@example.com' },
        level: 'CAN_MANAGE',
      },
      {
        grantee: { kind: 'user', name: 'sam@example.com' },
        level: 'CAN_MANAGE_STAGING_VERSIONS',
      },
      {
        grantee: { kind: 'service_principal', name: 'robot' },
        level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
      },
      {
        grantee: { kind: 'user', name: 'reader@example.com' },
        level: 'CAN_READ',
      },
    ];

    it('names whoever may approve the change, and the admins', () => {
      // Act
      const toProduction = possibleApprovers({
        grants,
        rootGrants: root,
        from: 'Staging',
        to: 'Production',
        requester: 'reader@example.com',
        separationOfDuties: true,
      });
      const toStaging = possibleApprovers({
        grants,
        rootGrants: root,
        from: 'None',
        to: 'Staging',
        requester: 'reader@example.com',
        separationOfDuties: false,
      });

      // Assess
      expect(toProduction.map(recipientJson)).toEqual([
        { user_name: 'alice@example.com' },
        { service_principal_name: 'robot' },
        { group_name: 'release' },
        { group_name: 'admins' },
      ]);
      expect(toStaging.map(recipientJson)).toContainEqual({
        user_name: 'sam@example.com',
      });
    });

    it('leaves out the requester under separation of duties only', () => {
      // Act
      const withDuties = possibleApprovers({
        grants,
        rootGrants: [],
        from: 'Staging',
        to: 'Production',
        requester: 'alice@example.com',
        separationOfDuties: true,
      });
      const without = possibleApprovers({
        grants,
        rootGrants: [],
        from: 'Staging',
        to: 'Production',
        requester: 'alice@example.com',
        separationOfDuties: false,
      });

      // Assess
      expect(withDuties).not.toContainEqual({
        kind: 'user',
        name: 'alice@example.com',
      });
      expect(without).toContainEqual({
        kind: 'user',
        name: 'alice@example.com',
      });
    });
  });

  it('creates a version event with who registered it', () => {
    expect(
      modelVersionCreated(origin, model, { version: 4, userId: 'bob' })
    ).toMatchObject({
      types: ['MODEL_VERSION_CREATED'],
      version: 4,
      userId: 'bob',
      text: "Version 4 of registered model 'fraud' was created.",
    });
  });
});
