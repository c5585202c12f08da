/** Entry point: the Buffer shim first (the protocol package needs it as it loads), then the settings, then the app. */
import './shims/buffer-global';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import type { ConsoleSettings } from './context';
import './styles.css';

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  const res = await fetch('/console/settings.json');
  const settings = res.ok
    ? ((await res.json()) as ConsoleSettings)
    : { language: 'en' as const, organisations: [], datasetTypes: [], assetTypes: [] };
  root.render(
    <StrictMode>
      <App settings={settings} />
    </StrictMode>,
  );
}

void start();
