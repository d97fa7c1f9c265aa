import { BlockList, isIP } from 'node:net';
import { InvalidParameterValueError } from './errors.ts';

/**
 * IP access lists, as Databricks' workspace API has them (seed 002 names
 * the registry's IP allow list): ALLOW and BLOCK lists of addresses and
 * CIDR ranges, enforced once `enableIpAccessLists` is set in the
 * workspace configuration. A BLOCK list wins; with at least one enabled
 * ALLOW list, only addresses on one are let in.
 */
export type IpListType = 'ALLOW' | 'BLOCK';

export interface IpAccessList {
  readonly listId: string;
  readonly label: string;
  readonly listType: IpListType;
  /** As given (single addresses and CIDR ranges, IPv4 or IPv6). */
  readonly ipAddresses: readonly string[];
  readonly enabled: boolean;
  readonly createdAt: number;
  /** The principal (id) that created it. */
  readonly createdBy: string;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

/**
 * The whole of the IP settings, read and written as one: enforcement and
 * every list, so a change and the self-lock-out check see the same state.
 * `revision` is the condition of the next write.
 */
export interface IpAccessSettings {
  readonly enabled: boolean;
  readonly lists: readonly IpAccessList[];
  readonly revision: number;
}

export const NO_IP_ACCESS_SETTINGS: IpAccessSettings = {
  enabled: false,
  lists: [],
  revision: 0,
};

/** Databricks' limit: addresses and ranges across all lists. */
export const MAX_IP_ADDRESSES = 1000;

/** A single address or a CIDR range. */
export function parseIpEntry(entry: string): {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
} {
  const [address = '', bits, extra] = entry.trim().split('/');
  const version = isIP(address);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    version === 0 ||
    extra !== undefined ||
    (bits !== undefined && !/^\d{1,3}$/.test(bits)) ||
    prefix > max
  ) {
    throw new InvalidParameterValueError(
      `Invalid IP address or CIDR range '${entry.slice(0, 64)}': use an IPv4 or IPv6 address, optionally with /<prefix length>.`
    );
  }
  return { address, prefix, family };
}

/** An address as the socket or API Gateway reports it (IPv4-mapped too). */
function normalized(ip: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

function matcher(lists: readonly IpAccessList[]): BlockList {
  const blockList = new BlockList();
  for (const list of lists) {
    for (const entry of list.ipAddresses) {
      const { address, prefix, family } = parseIpEntry(entry);
      blockList.addSubnet(address, prefix, family);
    }
  }
  return blockList;
}

/**
 * Whether a request from `sourceIp` may reach the registry under these
 * settings. An address that cannot be parsed is let in only while the
 * lists are not enforced.
 */
export function isAddressAllowed(
  settings: Pick<IpAccessSettings, 'enabled' | 'lists'>,
  sourceIp: string
): boolean {
  if (!settings.enabled) return true;
  const { address, family } = normalized(sourceIp);
  if (isIP(address) === 0) return false;
  const enabled = settings.lists.filter((list) => list.enabled);
  const block = enabled.filter((list) => list.listType === 'BLOCK');
  if (block.length > 0 && matcher(block).check(address, family)) return false;
  const allow = enabled.filter((list) => list.listType === 'ALLOW');
  return allow.length === 0 || matcher(allow).check(address, family);
}

/** The refusal of a request from a blocked address (Databricks' wording). */
export function blockedMessage(sourceIp: string): string {
  return `Source IP address: ${sourceIp} is blocked by the registry's IP access lists.`;
}
