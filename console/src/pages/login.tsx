/** Sign-in: username, password and, when a name exists in several organisations, the organisation. */
import { useState, type ReactNode } from 'react';
import { useT, type MessageKey } from '../i18n';
import { signIn, type Session } from '../session';
import { ErrorBox, Form, TextField, useAction } from '../ui';

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
      <Form onSubmit={() => void login.run()}>
        <TextField
          label={t('username')}
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <TextField
          label={t('password')}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <TextField
          label={t('organisation')}
          name="org"
          value={org}
          onChange={(e) => setOrg(e.target.value)}
        />
        <button type="submit" disabled={login.busy}>
          {t('signIn')}
        </button>
      </Form>
      {login.busy && <p role="status">{t('loading')}</p>}
      <ErrorBox error={login.error} />
    </main>
  );
}
