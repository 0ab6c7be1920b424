// The bearer token a set of request headers carries, or null when it carries none yet
// (no Authorization header, the placeholder shown on the first screen, or not JSON).
const BEARER = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/;

export function bearerToken(headers) {
  let value = headers;
  if (typeof headers === 'string') {
    try {
      value = headers.trim() ? JSON.parse(headers) : {};
    } catch {
      return null;
    }
  }
  if (!value || typeof value !== 'object') return null;
  const key = Object.keys(value).find((name) => name.toLowerCase() === 'authorization');
  const match = key && typeof value[key] === 'string' ? BEARER.exec(value[key].trim()) : null;
  return match ? match[1] : null;
}
