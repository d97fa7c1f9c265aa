import {
  type IpAccessSettings,
  NO_IP_ACCESS_SETTINGS,
} from '#domain/ip-access.ts';
import type { IpAccessStore } from '#ports/ip-access-store.ts';

/** {@link IpAccessStore} in memory, with the adapter's revision condition. */
export class MemoryIpAccessStore implements IpAccessStore {
  #settings: IpAccessSettings = NO_IP_ACCESS_SETTINGS;

  async getIpAccess(): Promise<IpAccessSettings> {
    return structuredClone(this.#settings);
  }

  async putIpAccess(next: IpAccessSettings): Promise<boolean> {
    if (next.revision !== this.#settings.revision) return false;
    this.#settings = structuredClone({
      ...next,
      revision: next.revision + 1,
    });
    return true;
  }
}
