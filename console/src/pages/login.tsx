/** Sign-in: username, password and, when a name exists in several organisations, the organisation. */
import { useState, type ReactNode } from 'react';
import { useT, type MessageKey } from '../i18n';
import { signIn, type Session } from '../session';
import { ErrorBox, Field, useAction } from '../ui';

export function LoginPage({
  notice,
  onSignedIn,
}: {
  readonly notice: MessageKey | undefined;
  readonly onSignedIn: (session: Session) => void;
}): ReactNode {
  const { t } = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [org, setOrg] = useState('');
  const login = useAction(async () => {
    const session = await signIn(username.trim(), password, org.trim() || undefined);
    setPassword('');
    onSignedIn(session);
    return session;
  });
  return (
    <main id="main" tabIndex={-1} className="login">
      <h1>{t('signIn')}</h1>
      {notice !== undefined && (
        <p className="notice" role="status">
          {t(notice)}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void login.run();
        }}
      >
        <Field label={t('username')}>
          {(id) => (
            <input
              id={id}
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field label={t('password')}>
          {(id) => (
            <input
              id={id}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label={t('organisation')}>
          {(id) => <input id={id} name="org" value={org} onChange={(e) => setOrg(e.target.value)} />}
        </Field>
        <button type="submit" disabled={login.busy}>
          {t('signIn')}
        </button>
      </form>
      {login.busy && <p role="status">{t('loading')}</p>}
      <ErrorBox error={login.error} />
    </main>
  );
}
