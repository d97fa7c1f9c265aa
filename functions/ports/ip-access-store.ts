import type { IpAccessSettings } from '#domain/ip-access.ts';

/**
 * Persistence of the IP access settings (enforcement and every list) as
 * one record, changed by conditional writes on its revision.
 */
export interface IpAccessStore {
  /** Strongly consistent; {@link NO_IP_ACCESS_SETTINGS} until first written. */
  getIpAccess(): Promise<IpAccessSettings>;
  /**
   * Writes the settings (`revision` + 1) if they are still at `revision`.
   * @returns false when another change came first.
   */
  putIpAccess(next: IpAccessSettings): Promise<boolean>;
}
