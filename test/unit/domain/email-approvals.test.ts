import { describe, expect, it } from 'vitest';
import {
  type EmailDecisionDependencies,
  openEmailLink,
  useEmailLink,
} from '#domain/email/email-decisions.ts';
import { signLink, verifyLink } from '#domain/email/email-links.ts';
import {
  type EmailNotificationDependencies,
  notifyByEmail,
} from '#domain/email/email-notifications.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type { PermissionLevel } from '#domain/permissions.ts';
import type { Principal } from '#domain/principal.ts';
import {
  addressRequest,
  cancelTransitionRequest,
  createTransitionRequest,
  setTransitionRequestSettings,
} from '#domain/registry/requests.ts';
import { hashToken } from '#domain/tokens.ts';
import type { MailTransport, OutgoingMail } from '#ports/mail-transport.ts';
import {
  accessTo,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
  T0,
} from '#test/support/governance.ts';
import { MemoryEmailLedger } from '#test/support/memory-email-ledger.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const KEY = Buffer.alloc(32, 7);
const BASE = 'https://registry.example.com';

/** A transport that keeps what it sends and refuses some addresses. */
class RecordingTransport implements MailTransport {
  readonly sent: OutgoingMail[] = [];
  readonly refuse = new Set<string>();

  async send(mail: OutgoingMail): Promise<void> {
    if (this.refuse.has(mail.to)) throw new Error('MessageRejected: no');
    this.sent.push(mail);
  }

  to(address: string): OutgoingMail[] {
    return this.sent.filter((mail) => mail.to === address);
  }
}

interface World {
  readonly deps: GovernanceDependencies;
  readonly identities: MemoryIdentityStore;
  readonly ledger: MemoryEmailLedger;
  readonly transport: RecordingTransport;
  readonly mail: EmailNotificationDependencies;
  readonly decide: EmailDecisionDependencies;
  readonly people: Record<string, Principal>;
}

/**
 * Model `m` (one version in None) and the people of the directory, by
 * name: `req` (the requester, may read), `a1` and `a2` (Staging managers),
 * `member` (one through the group `approvers`), `reader`, `plain` (a
 * Staging manager whose user name is no address) and `gone` (a Staging
 * manager, deactivated).
 */
async function world(): Promise<World> {
  const deps = governanceDependencies();
  const identities = new MemoryIdentityStore();
  await identities.createGroup({ id: 'g1', displayName: 'approvers' });
  const people: Record<string, Principal> = {};
  const levels: Record<string, PermissionLevel> = {};
  const directory: [string, string, PermissionLevel | undefined][] = [
    ['req', 'req@example.com', 'CAN_READ'],
    ['a1', 'a1@example.com', 'CAN_MANAGE_STAGING_VERSIONS'],
    ['a2', 'a2@example.com', 'CAN_MANAGE_STAGING_VERSIONS'],
    ['member', 'member@example.com', undefined],
    ['reader', 'reader@example.com', 'CAN_READ'],
    ['plain', 'plain-user', 'CAN_MANAGE_STAGING_VERSIONS'],
    ['gone', 'gone@example.com', 'CAN_MANAGE_STAGING_VERSIONS'],
  ];
  for (const [key, userName, level] of directory) {
    await identities.createPrincipal({
      id: `p-${key}`,
      kind: 'user',
      userName,
      displayName: key,
      active: key !== 'gone',
      groups: key === 'member' ? [{ id: 'g1', displayName: 'approvers' }] : [],
    });
    const principal = await identities.getPrincipal(`p-${key}`);
    if (!principal) throw new Error(key);
    const { active: _active, ...rest } = principal;
    people[key] = rest;
    if (level) levels[userName] = level;
  }
  await modelWithVersions(deps, 'm', 1, levels);
  const record = await deps.store.getModelRecordByName('m');
  if (!record) throw new Error('no model');
  await deps.store.setModelGrants(record.model.id, [
    ...record.grants,
    {
      grantee: { kind: 'group', name: 'approvers' },
      level: 'CAN_MANAGE_STAGING_VERSIONS',
    },
  ]);
  const ledger = new MemoryEmailLedger();
  const transport = new RecordingTransport();
  const linkKey = async () => KEY;
  return {
    deps,
    identities,
    ledger,
    transport,
    people,
    mail: {
      store: deps.store,
      requests: deps.requests,
      identities,
      ledger,
      transport,
      linkKey,
      settings: {
        from: 'registry@example.com',
        baseUrl: BASE,
        linkTtlMs: 72 * 3600 * 1000,
      },
      now: deps.now,
    },
    decide: { ...deps, identities, ledger, linkKey },
  };
}

function person(w: World, key: string): Principal {
  const found = w.people[key];
  if (!found) throw new Error(key);
  return found;
}

async function request(w: World, stage = 'Staging') {
  const { request } = await createTransitionRequest(
    w.deps,
    person(w, 'req'),
    await accessTo(w.deps, 'm'),
    { version: 1, stage, comment: 'please' }
  );
  return request;
}

function lastEvent(w: World, type: string): RegistryEvent {
  const event = w.deps.store.outbox
    .all()
    .filter((candidate) => candidate.types[0] === type)
    .at(-1);
  if (!event) throw new Error(`no ${type}`);
  return event;
}

function decoded(mail: OutgoingMail | undefined): string {
  if (!mail) throw new Error('no mail');
  return mail.raw
    .split(/\r\n--=_stagegate_[0-9a-f]+\r\n/)
    .slice(1)
    .map((part) => {
      const body = part.split('\r\n\r\n')[1] ?? '';
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    })
    .join('\n');
}

function linkIn(mail: OutgoingMail | undefined, decision: string): string {
  const found = new RegExp(`^${decision}: \\S+\\?link=(\\S+)$`, 'm').exec(
    decoded(mail)
  )?.[1];
  if (!found) throw new Error(`no ${decision} link`);
  return found;
}

describe('notifyByEmail', () => {
  it('mails each user who may approve now, through a group too, and not the requester, readers, the inactive or users without an address', async () => {
    // Prepare
    const w = await world();
    await request(w);

    // Act
    const report = await notifyByEmail(
      w.mail,
      lastEvent(w, 'TRANSITION_REQUEST_CREATED'),
      'm'
    );

    // Assess
    expect(w.transport.sent.map((mail) => mail.to).sort()).toEqual([
      'a1@example.com',
      'a2@example.com',
      'member@example.com',
    ]);
    expect(report).toEqual({ sent: 3, skipped: 0, failed: [] });
    const text = decoded(w.transport.to('a1@example.com')[0]);
    expect(text).toContain(
      "req@example.com asks to move version 1 of registered model 'm' from None to Staging."
    );
    expect(text).toContain('Comment: please');
    expect(text).toContain(`Approve: ${BASE}/callbacks/email/decision?link=`);
    const verified = verifyLink(
      KEY,
      linkIn(w.transport.to('a1@example.com')[0], 'Approve'),
      w.deps.now()
    );
    expect(verified).toMatchObject({
      ok: true,
      link: { approverId: 'p-a1', decision: 'approve' },
    });
  });

  it('mails nobody twice when the event comes again, and sends again what the transport refused', async () => {
    // Prepare
    const w = await world();
    await request(w);
    const event = lastEvent(w, 'TRANSITION_REQUEST_CREATED');
    w.transport.refuse.add('a2@example.com');

    // Act
    const first = await notifyByEmail(w.mail, event, 'm');
    w.transport.refuse.clear();
    const second = await notifyByEmail(w.mail, event, 'm');

    // Assess
    expect(first.sent).toBe(2);
    expect(first.failed).toEqual([
      { to: 'a2@example.com', error: 'MessageRejected: no' },
    ]);
    expect(second).toEqual({ sent: 1, skipped: 2, failed: [] });
    expect(w.transport.to('a2@example.com')).toHaveLength(1);
  });

  it('sends no links for a request decided before its mail went out', async () => {
    // Prepare
    const w = await world();
    const opened = await request(w);
    const event = lastEvent(w, 'TRANSITION_REQUEST_CREATED');
    const model = await accessTo(w.deps, 'm');
    await cancelTransitionRequest(
      w.deps,
      person(w, 'req'),
      await addressRequest(w.deps.requests, model, {
        version: 1,
        stage: 'Staging',
        requestId: opened.id,
      }),
      {}
    );

    // Act
    const report = await notifyByEmail(w.mail, event, 'm');

    // Assess
    expect(report.sent).toBe(0);
  });

  it('tells the requester the outcome, but not of their own cancel', async () => {
    // Prepare
    const w = await world();
    const opened = await request(w);
    const token = signLink(KEY, {
      mailId: 'a'.repeat(32),
      requestId: opened.id,
      approverId: 'p-a1',
      decision: 'reject',
      expiresAt: T0 + 3_600_000,
    });
    await useEmailLink(w.decide, token, {}, { comment: 'no' });
    const rejected = lastEvent(w, 'TRANSITION_REQUEST_REJECTED');
    await request(w);
    const model = await accessTo(w.deps, 'm');
    await cancelTransitionRequest(
      w.deps,
      person(w, 'req'),
      await addressRequest(w.deps.requests, model, {
        version: 1,
        stage: 'Staging',
      }),
      {}
    );

    // Act
    await notifyByEmail(w.mail, rejected, 'm');
    await notifyByEmail(
      w.mail,
      lastEvent(w, 'TRANSITION_REQUEST_CANCELLED'),
      'm'
    );

    // Assess
    const toRequester = w.transport.to('req@example.com');
    expect(toRequester).toHaveLength(1);
    expect(toRequester[0]?.raw).toContain(
      'Subject: Rejected: m version 1 to Staging'
    );
    expect(decoded(toRequester[0])).toContain(
      "a1@example.com rejected your request to move version 1 of registered model 'm' from None to Staging."
    );
    expect(decoded(toRequester[0])).toContain('Comment: no');
  });

  it('says how many approvals a protected stage still needs', async () => {
    // Prepare
    const w = await world();
    const record = await w.deps.store.getModelRecordByName('m');
    if (!record) throw new Error('no model');
    await setTransitionRequestSettings(w.deps, record, {
      protectedStages: ['Staging', 'Production'],
      requiredApprovals: 2,
    });
    await request(w);

    // Act
    await notifyByEmail(
      w.mail,
      lastEvent(w, 'TRANSITION_REQUEST_CREATED'),
      'm'
    );

    // Assess
    expect(decoded(w.transport.to('a1@example.com')[0])).toContain(
      'Approvals still needed: 2 of 2 (Staging is a protected stage).'
    );
  });
});

describe('e-mail links', () => {
  async function linkFor(w: World, approver: string, decision = 'approve') {
    await request(w);
    await notifyByEmail(
      w.mail,
      lastEvent(w, 'TRANSITION_REQUEST_CREATED'),
      'm'
    );
    return linkIn(
      w.transport.to(`${approver}@example.com`)[0],
      decision === 'approve' ? 'Approve' : 'Reject'
    );
  }

  it('shows the confirmation without deciding, then decides once', async () => {
    // Prepare
    const w = await world();
    const link = await linkFor(w, 'a1');

    // Act
    const shown = await openEmailLink(w.decide, link);
    const openAfterShowing = await w.deps.requests.listOpenRequests(
      (await accessTo(w.deps, 'm')).record.model.id
    );
    const used = await useEmailLink(w.decide, link, {}, {});
    const again = await useEmailLink(w.decide, link, {}, {});
    const reopened = await openEmailLink(w.decide, link);

    // Assess
    expect(shown).toMatchObject({
      kind: 'confirm',
      decision: 'approve',
      approver: 'a1@example.com',
      request: { modelName: 'm', version: 1, toStage: 'Staging' },
    });
    expect(openAfterShowing).toHaveLength(1);
    expect(used).toMatchObject({ kind: 'decided', remaining: 0 });
    expect(again).toMatchObject({ kind: 'refused', reason: 'used' });
    expect(reopened).toMatchObject({ kind: 'refused', reason: 'used' });
  });

  it('refuses another approver signed in, but not the approver themself', async () => {
    // Prepare
    const w = await world();
    const link = await linkFor(w, 'a1');
    for (const [owner, value] of [
      ['p-a1', 'dapi-a1'],
      ['p-a2', 'dapi-a2'],
    ] as const) {
      await w.identities.createToken({
        tokenId: owner,
        tokenHash: hashToken(value),
        principalId: owner,
        comment: '',
        creationTime: T0,
        expiryTime: -1,
      });
    }

    // Act
    const forwarded = await openEmailLink(w.decide, link, { token: 'dapi-a2' });
    const unknown = await useEmailLink(
      w.decide,
      link,
      { token: 'dapi-nobody' },
      {}
    );
    const own = await useEmailLink(w.decide, link, { token: 'dapi-a1' }, {});

    // Assess
    expect(forwarded).toMatchObject({ kind: 'refused', reason: 'forwarded' });
    expect(unknown).toMatchObject({ kind: 'refused', reason: 'forwarded' });
    expect(own).toMatchObject({ kind: 'decided' });
  });

  it('refuses an approver who lost the level, and leaves the link usable when the decision does not happen', async () => {
    // Prepare
    const w = await world();
    const link = await linkFor(w, 'a1');
    const record = await w.deps.store.getModelRecordByName('m');
    if (!record) throw new Error('no model');
    const grants = record.grants;
    await w.deps.store.setModelGrants(
      record.model.id,
      grants.filter((grant) => grant.grantee.name !== 'a1@example.com')
    );

    // Act
    const shown = await openEmailLink(w.decide, link);
    const posted = await useEmailLink(w.decide, link, {}, {});
    await w.deps.store.setModelGrants(record.model.id, grants);
    const afterRegrant = await useEmailLink(w.decide, link, {}, {});

    // Assess
    expect(shown).toMatchObject({ kind: 'refused', reason: 'not-allowed' });
    expect(posted).toMatchObject({ kind: 'refused', reason: 'not-allowed' });
    expect(afterRegrant).toMatchObject({ kind: 'decided' });
  });

  it('refuses a deactivated approver, a closed request, an overlong comment, and tells tampering from expiry', async () => {
    // Prepare
    const w = await world();
    const link = await linkFor(w, 'a2', 'reject');
    const opened = (
      await w.deps.requests.listOpenRequests(
        (
          await accessTo(w.deps, 'm')
        ).record.model.id
      )
    )[0];
    const forGone = signLink(KEY, {
      mailId: 'b'.repeat(32),
      requestId: opened?.id ?? '',
      approverId: 'p-gone',
      decision: 'approve',
      expiresAt: T0 + 3_600_000,
    });
    const late = signLink(KEY, {
      mailId: 'c'.repeat(32),
      requestId: opened?.id ?? '',
      approverId: 'p-a1',
      decision: 'approve',
      expiresAt: T0,
    });

    // Act
    const gone = await openEmailLink(w.decide, forGone);
    const long = await useEmailLink(
      w.decide,
      link,
      {},
      {
        comment: 'x'.repeat(5001),
      }
    );
    const expired = await openEmailLink(w.decide, late);
    const tampered = await openEmailLink(
      w.decide,
      `${late.slice(0, -2)}${late.endsWith('AA') ? 'BB' : 'AA'}`
    );
    const malformed = await openEmailLink(w.decide, 'v1.x');
    const rejected = await useEmailLink(w.decide, link, {}, { comment: 'no' });
    const closed = await openEmailLink(w.decide, forGone);

    // Assess
    expect(gone).toMatchObject({ kind: 'refused', reason: 'not-allowed' });
    expect(long).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(expired).toMatchObject({ kind: 'refused', reason: 'expired' });
    expect(tampered).toMatchObject({ kind: 'refused', reason: 'tampered' });
    expect(malformed).toMatchObject({ kind: 'refused', reason: 'malformed' });
    expect(rejected).toMatchObject({ kind: 'decided', decision: 'reject' });
    expect(closed).toMatchObject({ kind: 'refused', reason: 'closed' });
  });

  it('records one approval of several a protected stage needs, and the request stays open', async () => {
    // Prepare
    const w = await world();
    const record = await w.deps.store.getModelRecordByName('m');
    if (!record) throw new Error('no model');
    await setTransitionRequestSettings(w.deps, record, {
      protectedStages: ['Staging', 'Production'],
      requiredApprovals: 2,
    });
    const link = await linkFor(w, 'a1');

    // Act
    const first = await useEmailLink(w.decide, link, {}, {});

    // Assess
    expect(first).toMatchObject({ kind: 'decided', remaining: 1 });
    expect(
      await w.deps.requests.listOpenRequests(record.model.id)
    ).toHaveLength(1);
  });
});
