import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
  TooManyConcurrentChangesError,
} from '#domain/errors.ts';
import {
  blockedMessage,
  type IpAccessList,
  isAddressAllowed,
  MAX_IP_ADDRESSES,
  parseIpEntry,
} from '#domain/ip-access.ts';
import {
  changeIpAccessList,
  createIpAccessList,
  deleteIpAccessList,
  getIpAccessList,
  getWorkspaceConf,
  type IpAccessDependencies,
  listIpAccessLists,
  setWorkspaceConf,
} from '#domain/ip-access-lists.ts';
import { MemoryIpAccessStore } from '#test/support/memory-ip-access-store.ts';
import { alice, expectRefusal } from './support/registry.ts';

const ME = '198.51.100.10';

function list(
  listType: 'ALLOW' | 'BLOCK',
  ipAddresses: string[],
  enabled = true
): IpAccessList {
  return {
    listId: `${listType}-${ipAddresses.join()}`,
    label: `${listType} ${ipAddresses.join()}`,
    listType,
    ipAddresses,
    enabled,
    createdAt: 0,
    createdBy: '1',
    updatedAt: 0,
    updatedBy: '1',
  };
}

function deps(): IpAccessDependencies & { ipAccess: MemoryIpAccessStore } {
  let ids = 0;
  return {
    ipAccess: new MemoryIpAccessStore(),
    now: () => 1_700_000_000_000,
    newId: () => `list-${++ids}`,
    sleep: async () => undefined,
  };
}

describe('IP access lists', () => {
  describe('parseIpEntry', () => {
    it.each([
      ['10.0.0.1', { address: '10.0.0.1', prefix: 32, family: 'ipv4' }],
      ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
      [
        ' 2001:db8::/32 ',
        { address: '2001:db8::', prefix: 32, family: 'ipv6' },
      ],
    ])('reads %j', (entry, parsed) => {
      expect(parseIpEntry(entry)).toEqual(parsed);
    });

    it.each([
      '10.0.0.256',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/8/1',
      '10.0.0.0/x',
      'example.com',
      '',
    ])('refuses %j', (entry) => {
      expect(() => parseIpEntry(entry)).toThrow(InvalidParameterValueError);
    });
  });

  describe('isAddressAllowed', () => {
    it('lets everyone in while not enforced', () => {
      expect(
        isAddressAllowed({ enabled: false, lists: [list('BLOCK', [ME])] }, ME)
      ).toBe(true);
    });

    it('refuses a BLOCK-listed address, IPv4-mapped forms too, whatever the ALLOW lists say', () => {
      const settings = {
        enabled: true,
        lists: [list('BLOCK', ['198.51.100.0/24']), list('ALLOW', [ME])],
      };
      expect(isAddressAllowed(settings, ME)).toBe(false);
      expect(isAddressAllowed(settings, `::ffff:${ME}`)).toBe(false);
    });

    it('lets only ALLOW-listed addresses in once an ALLOW list is enabled; disabled lists count for nothing', () => {
      const settings = {
        enabled: true,
        lists: [
          list('ALLOW', ['203.0.113.0/24']),
          list('BLOCK', ['203.0.113.5'], false),
        ],
      };
      expect(isAddressAllowed(settings, '203.0.113.5')).toBe(true);
      expect(isAddressAllowed(settings, ME)).toBe(false);
      expect(isAddressAllowed(settings, '2001:db8::1')).toBe(false);
      expect(isAddressAllowed(settings, 'not an address')).toBe(false);
    });

    it('matches IPv6 ranges', () => {
      const settings = {
        enabled: true,
        lists: [list('BLOCK', ['2001:db8::/32'])],
      };
      expect(isAddressAllowed(settings, '2001:db8::42')).toBe(false);
      expect(isAddressAllowed(settings, '2001:db9::42')).toBe(true);
    });
  });

  describe('the API', () => {
    it('creates, reads, replaces, updates and deletes a list', async () => {
      // Prepare
      const d = deps();

      // Act
      const created = await createIpAccessList(d, alice, ME, {
        label: 'office',
        listType: 'ALLOW',
        ipAddresses: [ME, ME, '10.0.0.0/8'],
      });
      const replaced = await changeIpAccessList(
        d,
        alice,
        ME,
        created.listId,
        { label: 'office-2', listType: 'ALLOW', enabled: false },
        'replace'
      );
      const updated = await changeIpAccessList(
        d,
        alice,
        ME,
        created.listId,
        { ipAddresses: [ME], enabled: true },
        'update'
      );
      const got = await getIpAccessList(d, created.listId);
      await deleteIpAccessList(d, ME, created.listId);

      // Assess
      expect(created).toMatchObject({
        listId: 'list-1',
        ipAddresses: [ME, '10.0.0.0/8'],
        enabled: true,
        createdBy: alice.id,
      });
      expect(replaced).toMatchObject({
        label: 'office-2',
        ipAddresses: [],
        enabled: false,
      });
      expect(got).toEqual(updated);
      expect(await listIpAccessLists(d)).toEqual([]);
      await expect(getIpAccessList(d, created.listId)).rejects.toThrow(
        ResourceDoesNotExistError
      );
    });

    it.each([
      [{ listType: 'ALLOW', ipAddresses: [ME] }, "'label'"],
      [{ label: ' ', listType: 'ALLOW' }, "'label'"],
      [{ label: 'x'.repeat(257), listType: 'ALLOW' }, 'length limit'],
      [{ label: 'x', listType: 'DENY' }, 'ALLOW or BLOCK'],
      [{ label: 'x', listType: 'BLOCK', ipAddresses: ['nope'] }, 'Invalid IP'],
    ])('refuses %j', async (fields, why) => {
      await expectRefusal(
        createIpAccessList(deps(), alice, ME, fields),
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        why
      );
    });

    it('refuses a second label, too many addresses, and a replace without enabled', async () => {
      // Prepare
      const d = deps();
      const first = await createIpAccessList(d, alice, ME, {
        label: 'Office',
        listType: 'BLOCK',
        ipAddresses: ['10.0.0.1'],
      });
      const many = Array.from(
        { length: MAX_IP_ADDRESSES },
        (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.1`
      );

      // Act & Assess
      await expect(
        createIpAccessList(d, alice, ME, { label: 'office', listType: 'BLOCK' })
      ).rejects.toThrow('label already exists');
      await expect(
        createIpAccessList(d, alice, ME, {
          label: 'many',
          listType: 'BLOCK',
          ipAddresses: many,
        })
      ).rejects.toThrow(`at most ${MAX_IP_ADDRESSES}`);
      await expect(
        changeIpAccessList(
          d,
          alice,
          ME,
          first.listId,
          { label: 'x', listType: 'BLOCK' },
          'replace'
        )
      ).rejects.toThrow("'enabled'");
      await expect(
        changeIpAccessList(d, alice, ME, 'nope', { enabled: true }, 'update')
      ).rejects.toThrow(ResourceDoesNotExistError);
    });

    it('keeps the caller in: no change may block its address once enforced', async () => {
      // Prepare
      const d = deps();
      await setWorkspaceConf(d, ME, { enableIpAccessLists: true });
      const allowMe = await createIpAccessList(d, alice, ME, {
        label: 'me',
        listType: 'ALLOW',
        ipAddresses: [ME],
      });

      // Act & Assess
      for (const change of [
        createIpAccessList(d, alice, ME, {
          label: 'block-me',
          listType: 'BLOCK',
          ipAddresses: ['198.51.100.0/24'],
        }),
        changeIpAccessList(
          d,
          alice,
          ME,
          allowMe.listId,
          { ipAddresses: ['10.0.0.1'] },
          'update'
        ),
        changeIpAccessList(
          d,
          alice,
          ME,
          allowMe.listId,
          { listType: 'BLOCK' },
          'update'
        ),
      ]) {
        await expectRefusal(
          change,
          InvalidParameterValueError,
          'INVALID_PARAMETER_VALUE',
          'block your own address'
        );
      }
      await deleteIpAccessList(d, ME, allowMe.listId);
      expect(await listIpAccessLists(d)).toEqual([]);
    });

    it('answers the workspace configuration and refuses unknown keys and values', async () => {
      // Prepare
      const d = deps();

      // Act
      const before = await getWorkspaceConf(d, ['enableIpAccessLists']);
      await setWorkspaceConf(d, ME, { enableIpAccessLists: 'true' });
      const after = await getWorkspaceConf(d, ['enableIpAccessLists']);

      // Assess
      expect(before).toEqual({ enableIpAccessLists: 'false' });
      expect(after).toEqual({ enableIpAccessLists: 'true' });
      await expect(
        getWorkspaceConf(d, ['maxTokenLifetimeDays'])
      ).rejects.toThrow('Unsupported workspace configuration key');
      await expect(setWorkspaceConf(d, ME, {})).rejects.toThrow('at least one');
      await expect(
        setWorkspaceConf(d, ME, { enableIpAccessLists: 'yes' })
      ).rejects.toThrow('"true" or "false"');
      await setWorkspaceConf(d, ME, { enableIpAccessLists: false });
      expect(await getWorkspaceConf(d, ['enableIpAccessLists'])).toEqual({
        enableIpAccessLists: 'false',
      });
    });

    it('retries a lost race on the settings, and gives up with 429', async () => {
      // Prepare
      const d = deps();
      let losses = 0;
      const racing: IpAccessDependencies = {
        ...d,
        ipAccess: {
          getIpAccess: () => d.ipAccess.getIpAccess(),
          putIpAccess: async (next) => {
            losses += 1;
            return losses > 2 ? d.ipAccess.putIpAccess(next) : false;
          },
        },
      };
      const always: IpAccessDependencies = {
        ...d,
        ipAccess: {
          getIpAccess: () => d.ipAccess.getIpAccess(),
          putIpAccess: async () => false,
        },
      };

      // Act
      const created = await createIpAccessList(racing, alice, ME, {
        label: 'x',
        listType: 'BLOCK',
        ipAddresses: ['10.0.0.1'],
      });

      // Assess
      expect(created.label).toBe('x');
      await expect(
        createIpAccessList(always, alice, ME, { label: 'y', listType: 'BLOCK' })
      ).rejects.toThrow(TooManyConcurrentChangesError);
    });

    it('words a blocked request with its address', () => {
      expect(blockedMessage(ME)).toContain(ME);
    });
  });
});
