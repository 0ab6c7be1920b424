// The IDE: GraphiQL 5 with the explorer, talking to this server only.
//
// The schema is the caller's own view, so it depends on the token: GraphiQL introspects
// again whenever its fetcher changes, and a new fetcher is made whenever the token in the
// Headers pane changes. Until a token is there, nothing is sent: the page explains where
// to paste one instead of answering with an "unauthenticated" error.
import './workers.js';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './ide.css';

import { explorerPlugin } from '@graphiql/plugin-explorer';
import { useGraphiQL } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';

import { readConfig } from './config.js';
import { openWithToken } from './handover.js';
import { bearerToken } from './token.js';

const config = readConfig();
const HEADERS_EXAMPLE = '{"Authorization": "Bearer <token>"}';
const NO_TOKEN = {
  errors: [{
    message: `No token yet: paste your bearer token into the Headers pane below the editor, as ${HEADERS_EXAMPLE}, then run again.`,
    extensions: { code: 'UNAUTHENTICATED' },
  }],
};
const HEADERS_DEBOUNCE_MS = 300;
// The token in the Headers pane, for the schema picture opened from here.
let latestToken = null;

function SchemaPictureLink() {
  const open = (event) => {
    event.preventDefault();
    openWithToken(config.voyagerUrl, () => latestToken);
  };
  return <a href={config.voyagerUrl} className="cadre-schema-picture" onClick={open}>Schema picture</a>;
}

function KeyIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor"
         strokeWidth="1.5" aria-hidden="true">
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l9-9M17 6l3 3M15 8l2 2" />
    </svg>
  );
}

function SignInPanel() {
  return (
    <div className="cadre-sign-in">
      <div className="graphiql-doc-explorer-title">Sign in</div>
      <p>This API answers each caller with the records, and the schema, his roles may see.</p>
      <ol>
        <li>Copy a bearer token: <code>make run</code> prints one per demo account, and
          <code> cadre token issue USERNAME</code> issues one.</li>
        <li>Open <strong>Headers</strong> below the query editor and replace
          <code> &lt;paste a token from make run&gt;</code> with it:
          <pre>{HEADERS_EXAMPLE}</pre></li>
        <li>The documentation and autocomplete then load for your view of the schema;
          run the query with ▶ (Ctrl-Enter).</li>
      </ol>
      <p>The token stays in this tab. It is stored in the browser only if you turn on
        “Persist headers” in the settings (⚙).</p>
      <p><SchemaPictureLink />: the types and relations your token may see, as a graph
        (it opens with the token of the Headers pane).</p>
    </div>
  );
}

const signInPlugin = { title: 'Sign in', icon: KeyIcon, content: SignInPanel };
const plugins = [signInPlugin, explorerPlugin()];

// Reads the token from the Headers pane: at once, and again after each pause in typing.
function TokenWatcher({ onToken }) {
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  useEffect(() => {
    if (!headerEditor) return undefined;
    let timer;
    const read = () => {
      latestToken = bearerToken(headerEditor.getValue());
      onToken(latestToken);
    };
    read();
    const subscription = headerEditor.onDidChangeModelContent(() => {
      clearTimeout(timer);
      timer = setTimeout(read, HEADERS_DEBOUNCE_MS);
    });
    return () => {
      clearTimeout(timer);
      subscription.dispose();
    };
  }, [headerEditor, onToken]);
  return null;
}

function Status({ token }) {
  return (
    <div className="cadre-status" data-token={token ? 'present' : 'absent'}>
      {token
        ? 'Token set: the schema shown is the one it may see.'
        : 'No token yet: paste one into Headers (see Sign in, on the left).'}
      {' · '}
      <SchemaPictureLink />
    </div>
  );
}

function App() {
  const [token, setToken] = useState(null);
  const fetcher = useMemo(() => {
    const server = createGraphiQLFetcher({ url: config.endpoint });
    // `token` is only the dependency: a new fetcher makes GraphiQL fetch the schema again.
    return (params, options) => (bearerToken(options?.headers) ? server(params, options)
                                                               : Promise.resolve(NO_TOKEN));
  }, [token]);
  return (
    <GraphiQL
      fetcher={fetcher}
      // null: no schema and no introspection (nothing to fetch without a token).
      schema={token ? undefined : null}
      plugins={plugins}
      visiblePlugin={signInPlugin}
      defaultQuery={config.defaultQuery}
      initialQuery={config.defaultQuery}
      defaultHeaders={config.defaultHeaders}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
      showPersistHeadersSettings
      defaultEditorToolsVisibility="headers"
    >
      <GraphiQL.Logo>Cadre records</GraphiQL.Logo>
      <GraphiQL.Footer>
        <TokenWatcher onToken={setToken} />
        <Status token={token} />
      </GraphiQL.Footer>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(<StrictMode><App /></StrictMode>);
