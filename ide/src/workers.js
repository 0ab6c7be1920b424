// Where Monaco finds its web workers: bundled files on this server (see build.mjs), never a CDN.
import { readConfig } from './config.js';

const { assets, build } = readConfig();
const WORKERS = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file = WORKERS[label] ?? 'editor.worker.js';
    return new Worker(`${assets}/${file}?v=${build}`, { name: label });
  },
};
