/**
 * The console's shell: settings and language, sign-in, the pages of the
 * signed-in user's roles (hash routes: `#/report`...), and a clean session end.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { LanguageContext, translator, useT, type Language, type MessageKey } from './i18n';
import { AuditExportPage, AuditTracePage } from './pages/auditor';
import { DisputeInboxPage, RegisterAssetPage, UploadDatasetPage } from './pages/data-officer';
import { AlertsPage, CollateralPage, ConsentPage, ReportPage, VerifyReportPage } from './pages/loan-officer';
import { CataloguePage } from './pages/catalogue';
import { FinancingPage } from './pages/financing';
import { LoginPage } from './pages/login';
import { MembersPage, OverduePage, StatsPage, UsersPage } from './pages/regulator';
import type { Role, Session } from './session';
import { SESSION_LOST_EVENT } from './ui';
import { SessionContext, useSessionContext, type ConsoleSettings } from './context';

interface PageDef {
  readonly path: string;
  readonly title: MessageKey;
  readonly roles: readonly Role[];
  readonly render: () => ReactNode;
}

const PAGES: readonly PageDef[] = [
  { path: 'consent', title: 'navConsent', roles: ['LOAN_OFFICER'], render: () => <ConsentPage /> },
  { path: 'report', title: 'navReport', roles: ['LOAN_OFFICER'], render: () => <ReportPage /> },
  { path: 'collateral', title: 'navCollateral', roles: ['LOAN_OFFICER'], render: () => <CollateralPage /> },
  { path: 'financing', title: 'navFinancing', roles: ['LOAN_OFFICER'], render: () => <FinancingPage /> },
  { path: 'upload', title: 'navUpload', roles: ['DATA_OFFICER'], render: () => <UploadDatasetPage /> },
  {
    path: 'register-asset',
    title: 'navRegisterAsset',
    roles: ['DATA_OFFICER'],
    render: () => <RegisterAssetPage />,
  },
  { path: 'disputes', title: 'navDisputes', roles: ['DATA_OFFICER'], render: () => <DisputeInboxPage /> },
  { path: 'stats', title: 'navStats', roles: ['REGULATOR_ADMIN'], render: () => <StatsPage /> },
  { path: 'overdue', title: 'navOverdue', roles: ['REGULATOR_ADMIN'], render: () => <OverduePage /> },
  { path: 'members', title: 'navMembers', roles: ['REGULATOR_ADMIN'], render: () => <MembersPage /> },
  { path: 'catalogue', title: 'navCatalogue', roles: ['REGULATOR_ADMIN'], render: () => <CataloguePage /> },
  { path: 'users', title: 'navUsers', roles: ['REGULATOR_ADMIN', 'ORG_ADMIN'], render: () => <UsersPage /> },
  { path: 'trace', title: 'navTrace', roles: ['AUDITOR'], render: () => <AuditTracePage /> },
  { path: 'export', title: 'navExport', roles: ['AUDITOR'], render: () => <AuditExportPage /> },
  {
    path: 'verify-report',
    title: 'navVerifyReport',
    roles: ['LOAN_OFFICER', 'AUDITOR'],
    render: () => <VerifyReportPage />,
  },
  {
    path: 'alerts',
    title: 'navAlerts',
    roles: ['LOAN_OFFICER', 'DATA_OFFICER', 'REGULATOR_ADMIN'],
    render: () => <AlertsPage />,
  },
];

const LANGUAGE_KEY = 'ruralcredit.console.language';

function useHashPath(): string {
  const read = (): string => window.location.hash.replace(/^#\/?/, '');
  const [path, setPath] = useState(read);
  useEffect(() => {
    const onChange = (): void => setPath(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return path;
}

export function App({ settings }: { readonly settings: ConsoleSettings }): ReactNode {
  const stored = window.localStorage.getItem(LANGUAGE_KEY);
  const [language, setLanguageState] = useState<Language>(
    stored === 'zh' || stored === 'en' ? stored : settings.language,
  );
  const setLanguage = useCallback((l: Language) => {
    window.localStorage.setItem(LANGUAGE_KEY, l);
    setLanguageState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }, [language]);
  const languageValue = useMemo(
    () => ({ language, t: translator(language), setLanguage }),
    [language, setLanguage],
  );
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [notice, setNotice] = useState<MessageKey | undefined>(undefined);
  const end = useCallback(
    (why: MessageKey) => {
      session?.end();
      setSession(undefined);
      setNotice(why);
      window.location.hash = '';
    },
    [session],
  );
  const sessionValue = useMemo(
    () => (session === undefined ? undefined : { session, settings, lost: () => end('sessionEnded') }),
    [session, settings, end],
  );
  return (
    <LanguageContext.Provider value={languageValue}>
      {sessionValue === undefined ? (
        <Frame>
          <LoginPage
            notice={notice}
            onSignedIn={(s) => {
              setNotice(undefined);
              setSession(s);
            }}
          />
        </Frame>
      ) : (
        <SessionContext.Provider value={sessionValue}>
          <Frame onSignOut={() => end('signedOut')}>
            <Pages />
          </Frame>
        </SessionContext.Provider>
      )}
    </LanguageContext.Provider>
  );
}

function Frame({
  children,
  onSignOut,
}: {
  readonly children: ReactNode;
  readonly onSignOut?: () => void;
}): ReactNode {
  const { t, language, setLanguage } = useT();
  return (
    <>
      <a
        className="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        {t('skipToContent')}
      </a>
      <header className="top">
        <span className="brand">{t('appTitle')}</span>
        <span className="top-actions">
          <button
            type="button"
            data-testid="language-switch"
            lang={language === 'zh' ? 'en' : 'zh-CN'}
            onClick={() => setLanguage(language === 'zh' ? 'en' : 'zh')}
          >
            {t('switchLanguage')}
          </button>
          {onSignOut !== undefined && (
            <button type="button" onClick={onSignOut}>
              {t('signOut')}
            </button>
          )}
        </span>
      </header>
      {children}
    </>
  );
}

function Pages(): ReactNode {
  const { t } = useT();
  const { session, lost } = useSessionContext();
  const path = useHashPath();
  const mine = PAGES.filter((p) => p.roles.some((r) => session.claims.roles.includes(r)));
  const current = mine.find((p) => p.path === path) ?? mine[0];
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [current?.path]);
  // A 401 after the session's own re-login means the account can no longer sign in: end cleanly.
  useEffect(() => {
    window.addEventListener(SESSION_LOST_EVENT, lost);
    return () => window.removeEventListener(SESSION_LOST_EVENT, lost);
  }, [lost]);
  return (
    <div className="layout">
      <nav aria-label={t('mainNav')}>
        <p className="who">
          {t('signedInAs')} <strong>{session.username}</strong> · {session.claims.org}
        </p>
        <ul>
          {mine.map((p) => (
            <li key={p.path}>
              <a href={`#/${p.path}`} aria-current={p === current ? 'page' : undefined}>
                {t(p.title)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {current === undefined ? (
          <p>{t('noPages')}</p>
        ) : (
          <>
            <h1 ref={heading} tabIndex={-1}>
              {t(current.title)}
            </h1>
            <div key={current.path}>{current.render()}</div>
          </>
        )}
      </main>
    </div>
  );
}
