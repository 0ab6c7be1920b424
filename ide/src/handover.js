// Hands the IDE's token to the schema picture it opens, window to window: never through a
// URL or browser storage. The picture asks its opener once it has loaded; the IDE answers
// only a window it opened itself, on this origin, and only while it holds a token.
const ASK = 'cadre-ide:token?';
const GIVE = 'cadre-ide:token';

export function openWithToken(url, currentToken) {
  const opened = window.open(url, '_blank');
  if (!opened) return;
  const answer = (event) => {
    if (event.origin !== window.location.origin || event.source !== opened) return;
    if (event.data !== ASK) return;
    window.removeEventListener('message', answer);
    const token = currentToken();
    if (token) opened.postMessage({ type: GIVE, token }, window.location.origin);
  };
  window.addEventListener('message', answer);
}

export function askOpenerForToken(onToken) {
  const { opener } = window;
  if (!opener) return;
  window.addEventListener('message', (event) => {
    if (event.origin !== window.location.origin || event.source !== opener) return;
    if (event.data?.type === GIVE && typeof event.data.token === 'string') onToken(event.data.token);
  });
  opener.postMessage(ASK, window.location.origin);
}
