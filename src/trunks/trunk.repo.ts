import type { SipTrunk } from './trunk.js';

/** Persistence of SIP trunks. */
export interface TrunkRepository {
  insert(trunk: SipTrunk): Promise<void>;
  update(trunk: SipTrunk): Promise<void>;
  findById(accountId: string, id: string): Promise<SipTrunk | null>;
  /** The trunk an INVITE's Request-URI user part names, whatever its account. */
  findByRequestUriUser(user: string): Promise<SipTrunk | null>;
  list(accountId: string): Promise<SipTrunk[]>;
  delete(accountId: string, id: string): Promise<boolean>;
}
