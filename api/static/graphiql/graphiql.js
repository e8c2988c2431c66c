// Starts GraphiQL on /graphql: queries and mutations over HTTP, subscriptions (the live feed) over
// WebSocket on the same path, with the explorer plugin. The query and variables are kept in the URL's
// query string as q and variables (not "query": GET /graphql?query=... runs the query), so a link shares
// them; the headers, which may hold a bearer token, stay out of it and out of the browser's storage.
"use strict";

(function () {
  const EXAMPLE = `# Markaz GraphiQL (development only).
#
# The three nearest stations to East Mosul that are open now and take crime reports:
query Nearest {
  nearestStations(
    near: {latitude: 36.3795, longitude: 43.148}
    first: 3
    openNow: true
    services: [CRIME_REPORTING]
  ) {
    distanceMeters
    isOpen
    station { name phone }
  }
}
`;
  const parameters = new URLSearchParams(window.location.search);

  function remember(name, value) {
    if (value) parameters.set(name, value);
    else parameters.delete(name);
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const url = window.location.origin + window.location.pathname;
  const socket = new URL(url);
  socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: socket.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    const [query, setQuery] = React.useState(parameters.get("q") || EXAMPLE);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: query,
      variables: variables,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      onEditQuery: function (value) {
        setQuery(value);
        remember("q", value);
      },
      onEditVariables: function (value) {
        setVariables(value);
        remember("variables", value);
      },
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Page));
})();
