// Mounts GraphiQL; served from this server, so the page needs no inline script (CSP).
(function () {
  "use strict";
  var mount = document.getElementById("graphiql");
  // The bundles are served from node_modules; say so instead of showing a blank page.
  if (typeof GraphiQL === "undefined" || typeof ReactDOM === "undefined") {
    mount.innerHTML = '<p id="graphiql-missing">GraphiQL assets are not installed on this ' +
      "server. Run <code>npm ci</code> in the project root, then reload this page.</p>";
    return;
  }
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  ReactDOM.createRoot(mount).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
      defaultQuery: config.defaultQuery,
      defaultHeaders: config.defaultHeaders,
      // GraphiQL 3 name of the old `headerEditorEnabled` prop.
      isHeadersEditorEnabled: true,
      // The bearer token stays in this tab unless the user turns on "Persist headers"
      // in GraphiQL's settings.
      shouldPersistHeaders: false,
      showPersistHeadersSettings: true,
      // Open the headers pane so the bearer-token placeholder is visible at once.
      defaultEditorToolsVisibility: "headers"
    })
  );
})();
