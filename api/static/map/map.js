// The /map page: sign in, pick an area and a period, see activity hexagons (activityMap) with the live
// feed (activityFeed over graphql-transport-ws) on top. Plain JavaScript, no build step; Leaflet is the
// only library, served from this package (never a CDN). Tests read `window.markazMap` and the body's
// data-cells / data-events attributes.
(function () {
  "use strict";

  const IRAQ = [33.2, 43.7];
  const COLOURS = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];
  const LAYER_COLOURS = { INCIDENTS: "#c0392b", ENGAGEMENTS: "#1f77b4", PATROLS: "#2e8b57" };
  const FEED_LIMIT = 50;

  // The page's operations are api/static/map/operations/*.graphql, served as /map/operations.json; the
  // server knows exactly these documents, so in production they pass its safelist like an app release's.
  const operations = fetch("/map/operations.json").then((response) => response.json());

  const $ = (selector) => document.querySelector(selector);
  const session = { token: null, refresh: null, expires: 0 };
  const feed = { socket: null, cursor: null, area: null, retry: 500, timer: null, count: 0 };
  const hook = (window.markazMap = { cells: 0, events: 0, error: null, ready: false });

  // --- the map ---------------------------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: false }).setView(IRAQ, 6);
  const tiles = document.body.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: "" }).addTo(map);
  } // else: the plain background of #map (no request leaves for tiles that are not configured)
  let cells = null;
  const live = L.layerGroup().addTo(map);

  function status(text, isError) {
    const element = $("#status");
    element.textContent = text || "";
    element.className = isError ? "error" : "";
    if (isError) hook.error = text;
  }

  // --- GraphQL over HTTP -----------------------------------------------------------------------------
  async function graphql(name, variables, authenticated = true) {
    const query = (await operations)[name];
    const headers = { "content-type": "application/json", accept: "application/graphql-response+json" };
    if (authenticated) headers.authorization = "Bearer " + (await freshToken());
    const response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      const error = new Error(body.errors.map((e) => e.message).join("; "));
      error.code = body.errors[0].extensions && body.errors[0].extensions.code;
      throw error;
    }
    return body.data;
  }

  function keep(tokens) {
    session.token = tokens.accessToken;
    session.refresh = tokens.refreshToken;
    session.expires = Date.parse(tokens.expiresAt);
  }

  async function freshToken() {
    // Access tokens live 15 minutes: renew one that ends within the next minute.
    if (session.refresh && session.expires - Date.now() < 60_000) {
      const data = await graphql("Refresh", { input: { refreshToken: session.refresh } }, false);
      const payload = data.refreshSession;
      if (payload.errors.length) throw new Error(payload.errors[0].message);
      keep(payload);
    }
    return session.token;
  }

  // --- signing in and choosing -----------------------------------------------------------------------
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    status("Signing in…");
    try {
      const data = await graphql("Login", {
        input: { badgeNumber: form.badge.value, password: form.password.value },
      }, false);
      const payload = data.login;
      if (payload.errors.length) return status(payload.errors[0].message, true);
      keep(payload);
      form.password.value = "";
      form.hidden = true;
      $("#query").hidden = false;
      $("#who").textContent = `${payload.officer.name} (${payload.officer.role.toLowerCase().replace("_", " ")})`;
      await fillGovernorates(payload.officer);
      setDefaultPeriod();
      status("");
      hook.ready = true;
    } catch (error) {
      status(error.message, true);
    }
  });

  async function fillGovernorates(officer) {
    let choices = officer.governorates;
    if (officer.station) choices = [officer.station.governorate];
    if (!choices.length) choices = (await graphql("Governorates", {})).governorates; // an admin: all of them
    const select = $("#query").governorate;
    select.replaceChildren(...choices.map((g) => new Option(g.name, g.id)));
    await fillStations();
  }

  async function fillStations() {
    const form = $("#query");
    const data = await graphql("Stations", { governorateId: form.governorate.value || null });
    form.station.replaceChildren(...data.stations.edges.map((e) => new Option(e.node.name, e.node.id)));
  }

  function setDefaultPeriod() {
    const form = $("#query");
    const today = new Date();
    const before = new Date(today.getTime() - 29 * 86_400_000);
    form.to.value = today.toISOString().slice(0, 10);
    form.from.value = before.toISOString().slice(0, 10);
  }

  $("#query").governorate.addEventListener("change", () => fillStations().catch((e) => status(e.message, true)));
  for (const radio of document.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", () => {
      const kind = $("#query").kind.value;
      $("#query").governorate.hidden = kind === "bbox";
      $("#query").station.hidden = kind !== "station";
      $("#bbox").hidden = kind !== "bbox";
    });
  }

  // Drawing a box: press the button, then drag on the map.
  $("#draw").addEventListener("click", () => {
    document.body.classList.add("drawing");
    map.dragging.disable();
    let start = null;
    let box = null;
    const down = (e) => { start = e.latlng; };
    const move = (e) => {
      if (!start) return;
      const bounds = L.latLngBounds(start, e.latlng);
      if (box) box.setBounds(bounds);
      else box = L.rectangle(bounds, { color: "#333", weight: 1, fill: false }).addTo(map);
    };
    const up = (e) => {
      if (!start) return;
      const bounds = L.latLngBounds(start, e.latlng);
      const form = $("#query");
      form.south.value = bounds.getSouth().toFixed(5);
      form.west.value = bounds.getWest().toFixed(5);
      form.north.value = bounds.getNorth().toFixed(5);
      form.east.value = bounds.getEast().toFixed(5);
      map.off("mousedown", down).off("mousemove", move).off("mouseup", up);
      map.dragging.enable();
      document.body.classList.remove("drawing");
      setTimeout(() => box && box.remove(), 1500);
    };
    map.on("mousedown", down).on("mousemove", move).on("mouseup", up);
  });

  function chosenArea() {
    const form = $("#query");
    const kind = form.kind.value;
    if (kind === "governorate") return { governorateId: form.governorate.value };
    if (kind === "station") return { stationId: form.station.value };
    const number = (name) => Number(form[name].value);
    return { bbox: { south: number("south"), west: number("west"), north: number("north"), east: number("east") } };
  }

  // --- the hexagons ----------------------------------------------------------------------------------
  $("#query").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const area = chosenArea();
    const from = new Date(form.from.value + "T00:00:00Z");
    const to = new Date(new Date(form.to.value + "T00:00:00Z").getTime() + 86_400_000);
    status("Counting…");
    try {
      const data = await graphql("ActivityMap", {
        area, from: from.toISOString(), to: to.toISOString(), resolution: Number(form.resolution.value),
      });
      draw(data.activityMap, form.measure.value);
      follow(area);
    } catch (error) {
      status(error.message, true);
    }
  });

  function colourScale(max) {
    // Six classes from zero to the largest count, so the busiest hexagon is always the darkest.
    return (value) => COLOURS[Math.min(COLOURS.length - 1, Math.ceil((value / Math.max(max, 1)) * (COLOURS.length - 1)))];
  }

  function draw(activity, measure) {
    if (cells) cells.remove();
    const features = activity.geojson.features || [];
    const values = features.map((f) => Number(f.properties[measure] || 0));
    const max = Math.max(0, ...values);
    const colour = colourScale(max);
    cells = L.geoJSON(activity.geojson, {
      style: (feature) => ({
        className: "markaz-cell", color: "#6b4a2b", weight: 0.6, fillOpacity: 0.7,
        fillColor: colour(Number(feature.properties[measure] || 0)),
      }),
      onEachFeature: (feature, layer) => {
        const p = feature.properties;
        layer.bindTooltip(`${p.incidents} incidents · ${p.engagements} engagements · ` +
                          `${Math.round(p.patrolMinutes)} patrol min`);
      },
    }).addTo(map);
    if (features.length) map.fitBounds(cells.getBounds(), { maxZoom: 14 });
    const t = activity.totals;
    status(`${features.length} hexagons (resolution ${activity.resolution}): ${t.incidents} incidents, ` +
           `${t.engagements} engagements, ${Math.round(t.patrolMinutes)} patrol minutes.`);
    legend(max, measure);
    hook.cells = features.length;
    document.body.dataset.cells = String(features.length);
  }

  function legend(max, measure) {
    const colour = colourScale(max);
    const steps = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => Math.round(f * max));
    const names = { incidents: "incidents", engagements: "engagements", patrolMinutes: "patrol minutes" };
    const rows = [...new Set(steps)].map((v) => {
      const row = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour(v);
      row.append(swatch, `${v} ${names[measure]}`);
      return row;
    });
    $("#legend").replaceChildren(...rows);
  }

  // --- the live feed (graphql-transport-ws) ----------------------------------------------------------
  function follow(area) {
    const changed = JSON.stringify(area) !== JSON.stringify(feed.area);
    feed.area = area;
    if (changed) feed.cursor = null; // another area: start from now, not from the old area's cursor
    if (feed.socket) {
      feed.socket.onclose = null;
      feed.socket.close();
    }
    clearTimeout(feed.timer);
    connect();
  }

  async function connect() {
    let token;
    try {
      token = await freshToken();
    } catch (error) {
      return liveState("signed out: " + error.message);
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = (feed.socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws"));
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: "Bearer " + token } }));
    socket.onmessage = (message) => receive(socket, JSON.parse(message.data));
    socket.onclose = (event) => {
      if (event.code === 4403) return liveState("refused: sign in again");
      liveState("reconnecting…");
      feed.timer = setTimeout(connect, feed.retry);
      feed.retry = Math.min(feed.retry * 2, 15_000);
    };
  }

  async function subscribe(socket) {
    const query = (await operations).Feed;
    socket.send(JSON.stringify({
      id: "feed", type: "subscribe", payload: { query, variables: { area: feed.area, after: feed.cursor } },
    }));
  }

  function receive(socket, message) {
    if (message.type === "connection_ack") {
      feed.retry = 500;
      liveState("live");
      subscribe(socket);
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload.errors) {
      const error = message.payload.errors[0];
      const extensions = error.extensions || {};
      if (extensions.lastCursor) feed.cursor = extensions.lastCursor;
      if (extensions.code === "FEED_TOO_SLOW" || extensions.code === "FEED_CLOSING") {
        liveState("catching up…");
      } else {
        liveState("stopped: " + error.message);
        socket.onclose = null;
        socket.close();
      }
    } else if (message.type === "next") {
      show(message.payload.data.activityFeed);
    } else if (message.type === "complete" && feed.socket === socket && socket.readyState === WebSocket.OPEN) {
      subscribe(socket); // after FEED_TOO_SLOW: resume from the last cursor, nothing lost
    } else if (message.type === "error") {
      liveState("stopped: " + message.payload.map((e) => e.message).join("; "));
    }
  }

  function liveState(text) {
    $("#live-state").textContent = text;
  }

  function show(event) {
    feed.cursor = event.cursor;
    const what = event.incident ? event.incident.category
      : event.engagement ? event.engagement.kind : "patrol position";
    const point = [event.location.latitude, event.location.longitude];
    L.circleMarker(point, {
      className: "markaz-live", radius: 7, weight: 2, color: "#fff",
      fillColor: LAYER_COLOURS[event.layer], fillOpacity: 0.95,
    }).bindTooltip(`${what.toLowerCase().replaceAll("_", " ")}, ${event.station.name}`).addTo(live);
    const item = document.createElement("li");
    const layer = document.createElement("span");
    layer.className = "layer";
    layer.style.color = LAYER_COLOURS[event.layer];
    layer.textContent = what.toLowerCase().replaceAll("_", " ");
    const when = new Date(event.occurredAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    item.append(layer, ` ${when}, ${event.station.name}`);
    $("#feed").prepend(item);
    while ($("#feed").children.length > FEED_LIMIT) $("#feed").lastChild.remove();
    feed.count += 1;
    hook.events = feed.count;
    document.body.dataset.events = String(feed.count);
  }
})();
