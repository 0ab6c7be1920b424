// The schema picture: GraphQL Voyager drawing the caller's own view of the schema.
//
// Introspection on this server answers each token with what its roles (or a partner's
// scopes) may read, so the graph shows exactly that. The token comes from the IDE that
// opened this page (handover.js) or is pasted here, and is kept in memory only.
import './voyager.css';

import { Voyager, voyagerIntrospectionQuery } from 'graphql-voyager';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

import { readConfig } from './config.js';
import { askOpenerForToken } from './handover.js';
import { bearerToken } from './token.js';

const config = readConfig();

async function introspect(token) {
  const response = await fetch(config.endpoint, {
    method: 'POST',
    headers: {
      Accept: 'application/graphql-response+json, application/json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: voyagerIntrospectionQuery }),
  });
  const result = await response.json();
  if (!result.data) {
    const message = result.errors?.[0]?.message ?? `HTTP ${response.status}`;
    throw new Error(message);
  }
  return result;
}

function SignInForm({ onSchema, error }) {
  const [text, setText] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const value = text.trim();
    const token = bearerToken({ Authorization: value.startsWith('Bearer ') ? value : `Bearer ${value}` });
    if (token) onSchema(token);
  };
  return (
    <form className="cadre-voyager-sign-in" onSubmit={submit}>
      <h1>Schema picture</h1>
      <p>Paste a bearer token (<code>make run</code> prints one per demo account): the graph
        shows the types and fields that token may read, and nothing else. The token stays in
        this page's memory.</p>
      <input name="token" type="password" autoComplete="off" placeholder="Bearer token"
             value={text} onChange={(event) => setText(event.target.value)} />
      <button type="submit">Show my schema</button>
      {error && <p className="cadre-voyager-error" role="alert">{error}</p>}
      <p><a href={config.ideUrl}>Back to GraphiQL</a></p>
    </form>
  );
}

function App() {
  const [introspection, setIntrospection] = useState(null);
  const [error, setError] = useState(null);
  const show = (token) => {
    setError(null);
    introspect(token).then(setIntrospection, (failure) => setError(failure.message));
  };
  useEffect(() => askOpenerForToken(show), []);
  if (!introspection) return <SignInForm onSchema={show} error={error} />;
  return (
    <Voyager introspection={introspection} hideVoyagerLogo
             displayOptions={{ skipRelay: false, showLeafFields: true }}>
      <Voyager.PanelHeader>
        <div className="cadre-voyager-header">
          <a href={config.ideUrl}>GraphiQL</a>
          {' · '}
          <button type="button" onClick={() => setIntrospection(null)}>Another token</button>
        </div>
      </Voyager.PanelHeader>
    </Voyager>
  );
}

createRoot(document.getElementById('voyager')).render(<StrictMode><App /></StrictMode>);
