/** The signed-in session and the gateway's console settings, for every page. */
import { createContext, useContext } from 'react';
import type { Language } from './i18n';
import type { Session } from './session';

/** `/console/settings.json`, served by the gateway from the consortium definition. */
export interface ConsoleSettings {
  readonly language: Language;
  readonly organisations: readonly { readonly mspId: string; readonly name: string; readonly role: string }[];
  readonly datasetTypes: readonly {
    readonly code: string;
    readonly name: string;
    readonly provider: string;
  }[];
  readonly assetTypes: readonly { readonly code: string; readonly name: string; readonly issuer: string }[];
}

export interface SessionContextValue {
  readonly session: Session;
  readonly settings: ConsoleSettings;
  /** Ends the session because the gateway no longer accepts it. */
  readonly lost: () => void;
}

export const SessionContext = createContext<SessionContextValue | undefined>(undefined);

export function useSessionContext(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('no session');
  return value;
}
