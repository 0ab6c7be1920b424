// The page's settings, rendered by the server into <script id="ide-config" type="application/json">.
let config;

export function readConfig() {
  config ??= JSON.parse(document.getElementById('ide-config').textContent);
  return config;
}
