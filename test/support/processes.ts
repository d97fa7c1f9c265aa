import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Pids of every live process in a process group (from /proc). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) {
        members.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

/**
 * Live (non-zombie) pids whose command line contains `text`; with
 * `program`, only those whose argv[0] ends with it (not their shell wrappers).
 */
export function processesMatching(text: string, program?: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      const argv0 = cmdline.split('\0')[0] ?? '';
      if (
        state !== 'Z' &&
        cmdline.replaceAll('\0', ' ').includes(text) &&
        (program === undefined || argv0.endsWith(program))
      ) {
        found.push(Number(entry));
      }
    } catch {
      // Gone already.
    }
  }
  return found;
}

export interface ListeningSocket {
  readonly pid: number;
  readonly address: string;
  readonly port: number;
}

/** TCP sockets in LISTEN state owned by the given processes. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const owners = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) owners.set(inode, pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const columns = line.trim().split(/\s+/);
      const [local, , state, , , , , , inode] = columns.slice(1);
      if (state !== '0A' || !inode || !local) continue;
      const pid = owners.get(inode);
      if (pid === undefined) continue;
      const [hexAddress = '', hexPort = '0'] = local.split(':');
      sockets.push({
        pid,
        address: decodeAddress(hexAddress),
        port: Number.parseInt(hexPort, 16),
      });
    }
  }
  return sockets;
}

/** /proc/net addresses are little-endian 32-bit words in hex. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16))
  );
  if (bytes.length === 4) return bytes.join('.');
  const isMappedV4 =
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  if (isMappedV4) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  }
  return groups.join(':');
}
