// The /map page: sign in, pick an area and a period, and see on one screen the activity hexagons
// (activityMap), Iraq's governorates and stations drawn from files in this package (no tile server
// needed), the CompStat summary, a timeline, the coverage-gaps layer, the records of a clicked hexagon and
// the live feed (activityFeed over graphql-transport-ws); in Arabic, Kurdish or English, and a printable
// monthly report. Plain JavaScript, no build step; Leaflet is the only library, served from this package.
// Everything shown comes from the API, so the same scope and disclosure rule apply as for any client.
// Tests read `window.markazMap` and the body's data-* attributes.
(function () {
  "use strict";

  const I18N = window.markazI18n;
  const IRAQ = [33.2, 43.7];
  const COLOURS = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];
  const LAYER_COLOURS = { INCIDENTS: "#c0392b", ENGAGEMENTS: "#1f77b4", PATROLS: "#2e8b57" };
  const FEED_LIMIT = 50;

  const operations = fetch("/map/operations.json").then((response) => response.json());
  const outlines = fetch("/map/static/geo/governorates.geojson").then((response) => response.json());

  const $ = (selector) => document.querySelector(selector);
  const session = { token: null, refresh: null, expires: 0, officer: null };
  const feed = { socket: null, cursor: null, area: null, retry: 500, timer: null, count: 0, state: "liveOff", events: [] };
  const stationNames = new Map(); // station id -> name in the page's language, from the Stations query
  const hook = (window.markazMap = {
    cells: 0, events: 0, error: null, ready: false, lang: null, governorates: 0, stations: 0,
    summary: null, timeline: null, gaps: null, cellRecords: null, question: null, reportReady: false,
    missingWords: [], namesLang: null,
  });
  let lang = I18N.initial();
  let last = null; // the last question asked and its answers, to redraw in another language

  // --- words, numbers and dates in the chosen language ----------------------------------------------
  // A word missing from the chosen language falls back to English, and is noted for the tests.
  const missing = new Set();
  function unsaid(key) {
    missing.add(`${lang}:${key}`);
    hook.missingWords = [...missing];
  }
  function t(key, values) {
    const own = I18N.words[lang] && I18N.words[lang][key];
    if (own == null) unsaid(key);
    let text = own || I18N.words.en[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.replaceAll(`{${name}}`, value);
    return text;
  }
  function code(value) {
    const own = (I18N.words[lang].code || {})[value];
    if (own == null) unsaid("code." + value);
    return own || value.toLowerCase().replaceAll("_", " ");
  }
  const number = (value, digits = 0) =>
    new Intl.NumberFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], maximumFractionDigits: digits }).format(value);
  const percent = (share) =>
    share == null ? "–" : new Intl.NumberFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], style: "percent", maximumFractionDigits: 0 }).format(share);
  const comma = () => (lang === "en" ? ", " : "، ");

  // Dates and times in Baghdad's time. A browser whose ICU lacks the language's locale (Chromium has no
  // `ckb`) would print English month names, so for a language with its own month names in i18n.js the date
  // is put together here: those names and the language's digits.
  const ownDates = (l) => Boolean(I18N.dates[l]) && Intl.DateTimeFormat.supportedLocalesOf([I18N.locales[l]]).length === 0;
  const baghdadParts = new Intl.DateTimeFormat("en-US", {
    numberingSystem: "latn", timeZone: "Asia/Baghdad", hourCycle: "h23",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
  });
  function inBaghdad(iso) {
    const parts = baghdadParts.formatToParts(new Date(iso)).filter((p) => p.type !== "literal");
    return Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  }
  const digits = (value, width = 1) =>
    new Intl.NumberFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], useGrouping: false, minimumIntegerDigits: width }).format(value);
  function day(iso) {
    if (!ownDates(lang)) {
      return new Intl.DateTimeFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], dateStyle: "medium", timeZone: "Asia/Baghdad" }).format(new Date(iso));
    }
    const p = inBaghdad(iso);
    const own = I18N.dates[lang];
    return own.day.replace("{day}", digits(p.day)).replace("{month}", own.months[p.month - 1]).replace("{year}", digits(p.year));
  }
  function clock(iso) {
    if (!ownDates(lang)) {
      return new Intl.DateTimeFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], hour: "2-digit", minute: "2-digit", timeZone: "Asia/Baghdad" }).format(new Date(iso));
    }
    const p = inBaghdad(iso);
    return `${digits(p.hour, 2)}:${digits(p.minute, 2)}`;
  }
  hook.day = (iso) => day(iso);
  hook.clock = (iso) => clock(iso);

  // What an error says to the supervisor: the API's own message (already in the page's language), or the
  // page's word for a network failure; anything else is a fault of the page, logged for whoever debugs it.
  function said(message) {
    return Object.assign(new Error(message), { forPeople: true });
  }
  function explain(error) {
    if (error && error.forPeople) return error.message;
    console.error(error);
    return t("pageError");
  }

  function applyLanguage(next, chosen) {
    lang = next;
    if (chosen) {
      try { localStorage.setItem("markaz.map.lang", next); } catch (e) { /* not kept */ }
    }
    document.documentElement.lang = I18N.htmlLang[lang];
    document.documentElement.dir = I18N.direction[lang];
    $("#lang").value = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
    for (const element of document.querySelectorAll("[data-i18n-label]")) {
      element.setAttribute("aria-label", t(element.dataset.i18nLabel));
      if (element.tagName === "INPUT") element.placeholder = t(element.dataset.i18nLabel);
    }
    for (const option of $("#query").resolution.options) option.text = number(Number(option.value));
    // Leaflet's zoom buttons carry English titles of their own.
    for (const [selector, word] of [[".leaflet-control-zoom-in", t("zoomInTitle")], [".leaflet-control-zoom-out", t("zoomOutTitle")]]) {
      const button = document.querySelector(selector);
      if (button) {
        button.title = word;
        button.setAttribute("aria-label", word);
      }
    }
    document.title = t("title");
    hook.lang = lang;
    liveState(feed.state);
    drawOutlines();
    if (session.officer) showWho();
    if (last) redraw();
    renderFeed();
    if (session.officer) renamed().catch((error) => status(explain(error), true));
  }
  $("#lang").addEventListener("change", (event) => applyLanguage(event.target.value, true));

  // The names the API gives (governorates, stations, and those in the last question's answers) are in the
  // language the page asked in: after a switch, ask again in the new one. The last switch wins.
  let naming = 0;
  async function renamed() {
    const turn = ++naming;
    const current = () => turn === naming;
    const form = $("#query");
    const all = (await graphql("Governorates", {})).governorates;
    if (!current()) return;
    const names = new Map(all.map((g) => [g.id, g.name]));
    for (const option of form.governorate.options) option.text = names.get(option.value) || option.text;
    await drawStations(current);
    if (!current()) return;
    renderFeed();
    if (feed.socket) follow(feed.area); // the feed speaks the socket's language: open it again, from its cursor
    if (last) {
      const asked = last;
      const answers = await answer(asked.question);
      if (!current() || last !== asked) return;
      keepAnswers(asked.question, answers);
      redraw(false);
      if (hook.cellRecords) await showCell(hook.cellRecords.cell);
      if (!current()) return;
      if (hook.reportReady) buildReport();
    }
    hook.namesLang = lang;
    document.body.dataset.namesLang = lang;
  }

  // --- the map: governorates and stations from this package, tiles only when configured --------------
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25 }).setView(IRAQ, 6);
  const tiles = document.body.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: "" }).addTo(map);
  // The governorates lie under everything else (their own pane, below Leaflet's overlays), whenever drawn.
  map.createPane("governorates").style.zIndex = "350";
  const base = L.layerGroup().addTo(map);
  const stationLayer = L.layerGroup().addTo(map);
  const gapLayer = L.layerGroup().addTo(map);
  const live = L.layerGroup().addTo(map);
  let cells = null;
  let governorateShapes = null;

  async function drawOutlines() {
    const collection = await outlines;
    base.clearLayers();
    governorateShapes = L.geoJSON(collection, {
      pane: "governorates",
      style: { className: "markaz-governorate", color: "#5b6b78", weight: 1.2, fillColor: "#f6f3ea", fillOpacity: tiles ? 0.1 : 1 },
      interactive: false,
    }).addTo(base);
    for (const feature of collection.features) {
      const [lon, lat] = feature.properties.capital;
      const label = document.createElement("span");
      label.textContent = feature.properties["name_" + lang];
      L.marker([lat, lon], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "markaz-label markaz-governorate-label", html: label, iconSize: null }),
      }).addTo(base);
    }
    hook.governorates = collection.features.length;
    document.body.dataset.governorates = String(collection.features.length);
  }

  async function drawStations(current = () => true) {
    const form = $("#query");
    const data = await graphql("Stations", { governorateId: form.governorate.value || null });
    if (!current()) return;
    stationLayer.clearLayers();
    const nodes = data.stations.edges.map((e) => e.node);
    for (const station of nodes) {
      const marker = L.circleMarker([station.location.latitude, station.location.longitude], {
        className: station.isModelStation ? "markaz-station markaz-model-station" : "markaz-station",
        radius: station.isModelStation ? 7 : 4, weight: station.isModelStation ? 2.5 : 1,
        color: station.isModelStation ? "#0b4f8a" : "#34495e", fillColor: station.isModelStation ? "#f1c40f" : "#fff",
        fillOpacity: 1,
      });
      marker.bindTooltip(station.isModelStation ? `${station.name} · ${t("modelStation")}` : station.name);
      marker.addTo(stationLayer);
    }
    hook.stations = nodes.length;
    for (const n of nodes) stationNames.set(n.id, n.name);
    const chosen = form.station.value;
    form.station.replaceChildren(...nodes.map((n) => new Option(n.name, n.id)));
    if (nodes.some((n) => n.id === chosen)) form.station.value = chosen;
  }

  function status(text, isError) {
    const element = $("#status");
    element.textContent = text || "";
    element.className = isError ? "error" : "";
    if (isError) hook.error = text;
  }

  // --- GraphQL over HTTP, in the page's language ------------------------------------------------------
  async function graphql(name, variables, authenticated = true) {
    const query = (await operations)[name];
    const headers = {
      "content-type": "application/json", accept: "application/graphql-response+json", "accept-language": lang,
    };
    if (authenticated) headers.authorization = "Bearer " + (await freshToken());
    let body;
    try {
      const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      body = await response.json();
    } catch (failure) {
      // No answer, or not the API's (a proxy's error page): the browser's own text is English and technical.
      console.error(failure);
      throw said(t("networkError"));
    }
    if (body.errors && body.errors.length) {
      const error = said(body.errors.map((e) => e.message).join("; "));
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
    if (session.refresh && session.expires - Date.now() < 60_000) {
      const data = await graphql("Refresh", { input: { refreshToken: session.refresh } }, false);
      const payload = data.refreshSession;
      if (payload.errors.length) throw said(payload.errors[0].message);
      keep(payload);
    }
    return session.token;
  }

  // --- signing in and choosing -----------------------------------------------------------------------
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    status(t("signingIn"));
    try {
      const data = await graphql("Login", { input: { badgeNumber: form.badge.value, password: form.password.value } }, false);
      const payload = data.login;
      if (payload.errors.length) return status(payload.errors[0].message, true);
      keep(payload);
      session.officer = payload.officer;
      form.password.value = "";
      form.hidden = true;
      $("#query").hidden = false;
      showWho();
      await fillGovernorates(payload.officer);
      setDefaultPeriod();
      status("");
      hook.ready = true;
      hook.namesLang = lang;
      document.body.dataset.namesLang = lang;
    } catch (error) {
      status(explain(error), true);
    }
  });

  function showWho() {
    const officer = session.officer;
    $("#who").textContent = `${officer.name} (${t("role_" + officer.role)})`;
  }

  async function fillGovernorates(officer) {
    let choices = officer.governorates;
    if (officer.station) choices = [officer.station.governorate];
    if (!choices.length) choices = (await graphql("Governorates", {})).governorates;
    $("#query").governorate.replaceChildren(...choices.map((g) => new Option(g.name, g.id)));
    await drawStations();
  }

  function setDefaultPeriod() {
    const form = $("#query");
    const today = new Date();
    form.to.value = today.toISOString().slice(0, 10);
    form.from.value = new Date(today.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
  }

  $("#query").governorate.addEventListener("change", () => drawStations().catch((e) => status(explain(e), true)));
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
      document.body.dataset.drawn = "1";
      setTimeout(() => box && box.remove(), 1500);
    };
    map.on("mousedown", down).on("mousemove", move).on("mouseup", up);
  });

  function chosenArea() {
    const form = $("#query");
    const kind = form.kind.value;
    if (kind === "governorate") return { governorateId: form.governorate.value };
    if (kind === "station") return { stationId: form.station.value };
    const n = (name) => Number(form[name].value);
    return { bbox: { south: n("south"), west: n("west"), north: n("north"), east: n("east") } };
  }

  // The area's name as the selects now give it (in the page's language), else the name it had when asked.
  function areaName(area, before) {
    const form = $("#query");
    if (area.bbox) return t("box");
    const [select, id] = area.stationId ? [form.station, area.stationId] : [form.governorate, area.governorateId];
    const option = [...select.options].find((o) => o.value === id);
    return option ? option.text : before || "";
  }

  // --- asking: the hexagons, the summary, the timeline and the gaps, all for the same question -------
  $("#query").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const from = new Date(form.from.value + "T00:00:00+03:00");
    const to = new Date(new Date(form.to.value + "T00:00:00+03:00").getTime() + 86_400_000);
    const question = {
      area: chosenArea(), from: from.toISOString(), to: to.toISOString(),
      resolution: Number(form.resolution.value), measure: form.measure.value, gaps: form.gaps.checked,
    };
    await ask(question);
  });

  async function ask(question) {
    status(t("counting"));
    try {
      const answers = await answer(question);
      keepAnswers(question, answers);
      hook.cellRecords = null;
      $("#cell-section").hidden = true;
      redraw(true);
      follow(question.area);
      $("#report-button").disabled = false;
    } catch (error) {
      status(explain(error), true);
    }
  }

  // The API's answers to one question, in the page's language.
  async function answer(question) {
    const period = { area: question.area, from: question.from, to: question.to };
    const [activity, summary, timeline, gaps, problems] = await Promise.all([
      graphql("ActivityMap", { ...period, resolution: question.resolution }),
      graphql("Summary", period),
      graphql("Timeline", period),
      question.gaps ? graphql("CoverageGaps", { area: question.area, to: question.to, resolution: question.resolution }) : null,
      graphql("Problems", { stationId: question.area.stationId || null }),
    ]);
    return { activity: activity.activityMap, summary: summary.activitySummary, timeline: timeline.activityTimeline,
             gaps: gaps && gaps.coverageGaps, problems: problems.problems };
  }

  function keepAnswers(question, answers) {
    last = { question, ...answers, areaName: areaName(question.area, last && last.question === question ? last.areaName : "") };
    hook.question = question;
    hook.summary = last.summary;
    hook.timeline = last.timeline;
    hook.gaps = last.gaps;
    hook.problems = last.problems;
  }

  function redraw(fit) {
    draw(last.activity, last.question.measure, fit);
    drawSummary(last.summary);
    drawTimeline(last.timeline);
    drawGaps(last.gaps);
    drawProblems(last.problems);
  }

  // The area's open problems (SARA): those of the chosen station, or all the supervisor may see.
  function drawProblems(problems) {
    $("#problems-section").hidden = false;
    const nodes = problems.edges.map((e) => e.node);
    $("#problems").replaceChildren(...(nodes.length ? nodes.map((p) => {
      const item = document.createElement("li");
      item.dataset.id = p.id;
      item.textContent = `${p.title} · ${t("stage_" + p.stage)} · ${p.station.name}`;
      return item;
    }) : [Object.assign(document.createElement("li"), { textContent: t("noProblems") })]));
  }

  function colourScale(max) {
    return (value) => COLOURS[Math.min(COLOURS.length - 1, Math.ceil((value / Math.max(max, 1)) * (COLOURS.length - 1)))];
  }

  function draw(activity, measure, fit) {
    if (cells) cells.remove();
    const features = activity.geojson.features || [];
    const max = Math.max(0, ...features.map((f) => Number(f.properties[measure] || 0)));
    const colour = colourScale(max);
    cells = L.geoJSON(activity.geojson, {
      style: (feature) => ({
        className: "markaz-cell", color: "#6b4a2b", weight: 0.6, fillOpacity: 0.75,
        fillColor: colour(Number(feature.properties[measure] || 0)),
      }),
      onEachFeature: (feature, layer) => {
        const p = feature.properties;
        layer.bindTooltip(t("tooltip", { incidents: number(p.incidents), engagements: number(p.engagements),
                                         minutes: number(p.patrolMinutes) }));
        layer.on("click", () => showCell(p.h3Index).catch((e) => status(explain(e), true)));
      },
    }).addTo(map);
    if (fit && features.length) map.fitBounds(cells.getBounds(), { maxZoom: 14 });
    const totals = activity.totals;
    status(t("hexagons", { cells: number(features.length), resolution: number(activity.resolution),
                           incidents: number(totals.incidents), engagements: number(totals.engagements),
                           minutes: number(totals.patrolMinutes) }));
    legend(max, measure);
    hook.cells = features.length;
    document.body.dataset.cells = String(features.length);
  }

  function legend(max, measure) {
    const colour = colourScale(max);
    const steps = [...new Set([0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => Math.round(f * max)))];
    $("#legend").replaceChildren(...steps.map((v) => {
      const row = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour(v);
      row.append(swatch, `${number(v)} ${t(measure)}`);
      return row;
    }));
  }

  function figureRows(summary) {
    return [
      ["incidents", number(summary.incidents)],
      ["engagements", number(summary.engagements)],
      ["attendees", number(summary.attendees)],
      ["womenShare", percent(summary.womenAttendeeShare)],
      ["youthShare", percent(summary.youthAttendeeShare)],
      ["medianHours", summary.medianHoursToResolve == null ? "–" : number(summary.medianHoursToResolve, 1)],
      ["patrolHours", number(summary.patrolHours, 1)],
      ["activeOfficers", number(summary.activeOfficers)],
    ];
  }

  function fillFigures(list, summary) {
    list.replaceChildren(...figureRows(summary).flatMap(([key, value]) => {
      const term = document.createElement("dt");
      term.textContent = t(key);
      const detail = document.createElement("dd");
      detail.textContent = value;
      detail.dataset.figure = key;
      return [term, detail];
    }));
  }

  function fillChanges(table, summary) {
    const rows = summary.changes.filter((c) => !c.incidentCategory && !c.engagementKind);
    const head = document.createElement("tr");
    for (const word of ["", t("current"), t("previous"), t("change")]) {
      const cell = document.createElement("th");
      cell.textContent = word;
      head.append(cell);
    }
    table.replaceChildren(head, ...rows.map((c) => {
      const row = document.createElement("tr");
      row.dataset.window = c.window;
      row.dataset.layer = c.layer;
      const name = document.createElement("td");
      name.textContent = `${t(c.layer.toLowerCase())} · ${t("window_" + c.window)}`;
      const now = document.createElement("td");
      now.textContent = number(c.current);
      const before = document.createElement("td");
      before.textContent = number(c.previous);
      const change = document.createElement("td");
      change.textContent = c.changePercent == null ? "–"
        : new Intl.NumberFormat(I18N.locales[lang], { numberingSystem: I18N.numbering[lang], signDisplay: "exceptZero", maximumFractionDigits: 0 }).format(c.changePercent) + (lang === "en" ? "%" : "٪");
      change.className = c.changePercent > 0 ? "up" : c.changePercent < 0 ? "down" : "";
      row.append(name, now, before, change);
      return row;
    }));
  }

  function drawSummary(summary) {
    $("#summary").hidden = false;
    fillFigures($("#figures"), summary);
    fillChanges($("#changes"), summary);
  }

  function drawTimeline(buckets) {
    $("#timeline-section").hidden = false;
    const svg = $("#timeline");
    const ns = "http://www.w3.org/2000/svg";
    const width = 320, height = 100, top = 8;
    const max = Math.max(1, ...buckets.map((b) => b.incidents), ...buckets.map((b) => b.engagements));
    const step = width / Math.max(1, buckets.length);
    const nodes = [];
    // Time runs in the reading direction: right to left in Arabic and Kurdish.
    const x = (i) => (I18N.direction[lang] === "rtl" ? width - (i + 1) * step : i * step);
    buckets.forEach((b, i) => {
      const bar = document.createElementNS(ns, "rect");
      const h = (b.incidents / max) * (height - top);
      bar.setAttribute("class", "bar");
      bar.setAttribute("x", x(i) + step * 0.15);
      bar.setAttribute("width", Math.max(1, step * 0.7));
      bar.setAttribute("y", height - h);
      bar.setAttribute("height", h);
      bar.dataset.incidents = String(b.incidents);
      nodes.push(bar);
    });
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", "line");
    line.setAttribute("points", buckets.map((b, i) => `${x(i) + step / 2},${height - (b.engagements / max) * (height - top)}`).join(" "));
    nodes.push(line);
    if (buckets.length) {
      for (const [i, anchor] of [[0, "start"], [buckets.length - 1, "end"]]) {
        const label = document.createElementNS(ns, "text");
        label.setAttribute("x", Math.min(width - 2, Math.max(2, x(i) + step / 2)));
        label.setAttribute("y", 116);
        label.setAttribute("text-anchor", I18N.direction[lang] === "rtl" ? (anchor === "start" ? "end" : "start") : anchor);
        label.textContent = day(buckets[i].start);
        nodes.push(label);
      }
    }
    svg.setAttribute("aria-label", `${t("timeline")}: ${t("incidents")}, ${t("engagements")}`);
    svg.replaceChildren(...nodes);
  }

  function drawGaps(gaps) {
    gapLayer.clearLayers();
    if (!gaps) return;
    for (const cell of gaps.cells) {
      L.circleMarker([cell.center.latitude, cell.center.longitude], {
        className: "markaz-gap", radius: 6, color: "#6c3483", weight: 2, dashArray: "3 2", fillOpacity: 0.1,
      }).bindTooltip(`${number(cell.incidents)} ${t("incidents")}`).addTo(gapLayer);
    }
    status($("#status").textContent + " " + t("gapCells", { n: number(gaps.cells.length) }));
  }

  // --- a clicked hexagon: the records the supervisor may see in it ------------------------------------
  async function showCell(h3Index) {
    const question = last.question;
    const data = await graphql("CellIncidents", { cell: h3Index, from: question.from, to: question.to });
    const list = data.incidents.edges.map((e) => e.node);
    hook.cellRecords = { cell: h3Index, totalCount: data.incidents.totalCount, ids: list.map((n) => n.id) };
    $("#cell-section").hidden = false;
    $("#cell-note").textContent = question.resolution > 7 ? t("cellCoarse") : "";
    $("#cell-records").replaceChildren(...(list.length ? list.map((n) => {
      const item = document.createElement("li");
      item.dataset.id = n.id;
      const flags = [n.sensitive ? t("sensitive") : null, n.detailsHidden ? t("hidden") : null].filter(Boolean);
      item.textContent = `${code(n.category)} · ${day(n.occurredAt)} · ${n.station.name}` + (flags.length ? ` (${flags.join(comma())})` : "");
      return item;
    }) : [Object.assign(document.createElement("li"), { textContent: t("noRecords") })]));
  }

  // --- the monthly report: a print stylesheet the browser turns into a PDF ---------------------------
  $("#report-button").addEventListener("click", () => {
    buildReport();
    window.print();
  });

  function buildReport() {
    const q = last.question;
    $("#report-title").textContent = t("reportTitle", { area: areaName(q.area, last.areaName) });
    $("#report-period").textContent = t("reportPeriod", { from: day(q.from), to: day(new Date(Date.parse(q.to) - 1).toISOString()) });
    fillFigures($("#report-figures"), last.summary);
    fillChanges($("#report-changes"), last.summary);
    $("#report-note").textContent = t("reportNote");
    $("#report-map").replaceChildren(reportMap());
    $("#report").hidden = false;
    hook.reportReady = true;
  }
  window.markazMap.buildReport = buildReport;
  window.markazMap.showIraq = () => { map.fitBounds(governorateShapes.getBounds()); return true; };

  // The report's map is drawn as SVG of its own (a printed page has no Leaflet panes to rely on): the
  // governorates and the hexagons, in an equirectangular projection fitted to the hexagons.
  function reportMap() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const features = last.activity.geojson.features || [];
    const points = features.flatMap((f) => f.geometry.coordinates[0]);
    const bounds = points.length ? points : [[38.8, 29.1], [48.6, 37.4]];
    let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [lon, lat] of bounds) { west = Math.min(west, lon); east = Math.max(east, lon); south = Math.min(south, lat); north = Math.max(north, lat); }
    const pad = Math.max(east - west, north - south) * 0.15 + 0.01;
    west -= pad; east += pad; south -= pad; north += pad;
    const k = Math.cos(((south + north) / 2) * Math.PI / 180);
    const width = 600, height = Math.round(width * (north - south) / ((east - west) * k));
    svg.setAttribute("viewBox", `0 0 ${width} ${Math.min(height, 900)}`);
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    const project = ([lon, lat]) => `${((lon - west) / (east - west)) * width},${((north - lat) / (north - south)) * height}`;
    const path = (rings) => rings.map((ring) => "M" + ring.map(project).join("L") + "Z").join("");
    outlines.then((collection) => {
      for (const feature of collection.features) {
        const shape = document.createElementNS(ns, "path");
        shape.setAttribute("d", feature.geometry.coordinates.map(path).join(""));
        shape.setAttribute("fill", "#f6f3ea");
        shape.setAttribute("stroke", "#5b6b78");
        shape.setAttribute("class", "report-governorate");
        svg.prepend(shape);
      }
    });
    const max = Math.max(0, ...features.map((f) => Number(f.properties[last.question.measure] || 0)));
    const colour = colourScale(max);
    for (const feature of features) {
      const shape = document.createElementNS(ns, "path");
      shape.setAttribute("d", path(feature.geometry.coordinates));
      shape.setAttribute("fill", colour(Number(feature.properties[last.question.measure] || 0)));
      shape.setAttribute("stroke", "#6b4a2b");
      shape.setAttribute("stroke-width", "0.5");
      shape.setAttribute("class", "report-cell");
      svg.append(shape);
    }
    return svg;
  }

  // --- the live feed (graphql-transport-ws) ----------------------------------------------------------
  function follow(area) {
    const changed = JSON.stringify(area) !== JSON.stringify(feed.area);
    feed.area = area;
    if (changed) feed.cursor = null;
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
      return liveState("stopped", explain(error));
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = (feed.socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws"));
    // The feed's names (stations) in the page's language: the upgrade request carries the browser's.
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: "Bearer " + token, "accept-language": lang } }));
    socket.onmessage = (message) => receive(socket, JSON.parse(message.data));
    socket.onclose = (event) => {
      if (event.code === 4403) return liveState("refused");
      liveState("reconnecting");
      feed.timer = setTimeout(connect, feed.retry);
      feed.retry = Math.min(feed.retry * 2, 15_000);
    };
  }

  async function subscribe(socket) {
    const query = (await operations).Feed;
    socket.send(JSON.stringify({ id: "feed", type: "subscribe", payload: { query, variables: { area: feed.area, after: feed.cursor } } }));
  }

  function receive(socket, message) {
    if (message.type === "connection_ack") {
      feed.retry = 500;
      liveState("liveOn");
      subscribe(socket);
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload.errors) {
      const error = message.payload.errors[0];
      const extensions = error.extensions || {};
      if (extensions.lastCursor) feed.cursor = extensions.lastCursor;
      if (extensions.code === "FEED_TOO_SLOW" || extensions.code === "FEED_CLOSING") {
        liveState("catchingUp");
      } else {
        liveState("stopped", error.message);
        socket.onclose = null;
        socket.close();
      }
    } else if (message.type === "next") {
      show(message.payload.data.activityFeed);
    } else if (message.type === "complete" && feed.socket === socket && socket.readyState === WebSocket.OPEN) {
      subscribe(socket);
    } else if (message.type === "error") {
      liveState("stopped", message.payload.map((e) => e.message).join("; "));
    }
  }

  function liveState(state, reason) {
    feed.state = state;
    const element = $("#live-state");
    element.dataset.state = state;
    element.textContent = t(state, { reason: reason || "" });
  }

  function show(event) {
    feed.cursor = event.cursor;
    feed.events.unshift(event);
    feed.events.length = Math.min(feed.events.length, FEED_LIMIT);
    renderFeed();
    feed.count += 1;
    hook.events = feed.count;
    document.body.dataset.events = String(feed.count);
  }

  // The live events as dots and a list, newest first, in the page's language (a station's name in the
  // language it was received in, unless the station list has it in the new one).
  function renderFeed() {
    live.clearLayers();
    $("#feed").replaceChildren(...feed.events.map((event) => {
      const what = event.incident ? code(event.incident.category)
        : event.engagement ? code(event.engagement.kind) : t("patrolPosition");
      const station = stationNames.get(event.station.id) || event.station.name;
      L.circleMarker([event.location.latitude, event.location.longitude], {
        className: "markaz-live", radius: 7, weight: 2, color: "#fff", fillColor: LAYER_COLOURS[event.layer], fillOpacity: 0.95,
      }).bindTooltip(`${what}${comma()}${station}`).addTo(live);
      const item = document.createElement("li");
      const layer = document.createElement("span");
      layer.className = "layer";
      layer.style.color = LAYER_COLOURS[event.layer];
      layer.textContent = what;
      item.dataset.layer = event.layer;
      item.append(layer, ` ${clock(event.occurredAt)}${comma()}${station}`);
      return item;
    }));
  }

  applyLanguage(lang, false);
})();
