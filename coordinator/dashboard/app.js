/*
 * The coordinator's dashboard (served at GET /dashboard by coordinator/rpc/server.ts; docs/coordinator.md,
 * "Dashboard"). Plain browser JavaScript, no dependencies, nothing fetched from elsewhere.
 *
 * Read-only: it calls getDashboard and getCertificate over HTTP JSON-RPC and subscribes to status events over the
 * WebSocket. A snapshot (getDashboard) gives the recent window of certificates per chain and counts for the rest;
 * status events are applied to it as they come (a status change repaints one node; a new certificate redraws the
 * graph on the next frame); the summaries (chains, epochs, prover, L1) are refreshed every few seconds. When the
 * WebSocket closes (a coordinator restart) it reconnects with backoff, subscribes again and takes a new snapshot.
 *
 * Every string from the coordinator is put in the page as text (textContent, setAttribute), never as markup.
 *
 * window.__dashboard exposes what the browser test and the benchmark read: when the first snapshot was drawn
 * (firstRenderMs, from navigation start) and how long the last status event took from its arrival to the next
 * painted frame (lastUpdate).
 */
"use strict";
(function () {
  var STATUSES = ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling", "Finalized", "Rejected"];
  var RANK = { PreConfirmed: 1, Proven: 2, Confirmed: 3, InEpoch: 4, Settling: 5, Finalized: 6, Rejected: -1 };
  var EPOCH_LABEL = { proved: "built (proofs stored)", settling: "settling", settled: "settled", failed: "failed", abandoned: "abandoned" };
  var SUMMARY_EVERY_MS = 3000;
  var SVG = "http://www.w3.org/2000/svg";
  var LANE_H = 64, LABEL_W = 250, COL_W = 34, R = 8, TOP = 8;

  var metrics = { firstRenderMs: null, snapshots: 0, updates: 0, lastUpdate: null, recentUpdates: [], connected: false, reconnects: 0, errors: [] };
  window.__dashboard = metrics;

  var state = {
    snapshot: null, // the last getDashboard answer (summaries)
    certs: new Map(), // certificateId -> certificate of the window
    chains: new Map(), // networkId -> chain view (counts kept up to date by events)
    window: 0,
    selected: null,
    ws: null,
    backoffMs: 500,
    buffered: null, // events that arrived before the snapshot they follow
    drawScheduled: false,
    nodes: new Map(), // certificateId -> its <g> in the graph
  };

  // ------------------------------------------------------------------------------------------ helpers

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) {
      if (k === "text") e.textContent = String(attrs[k]);
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, String(attrs[k]));
    }
    if (children) children.forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined) {
      if (k === "text") e.textContent = String(attrs[k]);
      else e.setAttribute(k, String(attrs[k]));
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function dec(hex) { try { return BigInt(hex).toString(); } catch (e) { return String(hex); } }
  function num(hex) { return Number(BigInt(hex)); }
  function short(id) { id = String(id); return id.length > 14 ? id.slice(0, 8) + "…" + id.slice(-4) : id; }
  function ago(ms) {
    if (ms === null || ms === undefined) return "";
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function time(ms) { return ms ? new Date(ms).toISOString().replace("T", " ").replace("Z", "") : ""; }
  function eth(wei) {
    try {
      var w = BigInt(wei), unit = 10n ** 18n, whole = w / unit, frac = (w % unit).toString().padStart(18, "0").slice(0, 3).replace(/0+$/, "");
      return whole.toString() + (frac ? "." + frac : "") + " ETH";
    } catch (e) { return String(wei); }
  }
  function statusChip(s) { var x = el("span", { cls: "status", text: s }); x.style.setProperty("--c", "var(--" + s + ")"); return x; }
  function certLink(ref, label) {
    var a = el("a", { href: "#cert=" + ref.certificateId, cls: "mono", text: label || ("chain " + ref.networkId + " · h " + dec(ref.height) + " · " + short(ref.certificateId)) });
    return a;
  }
  function chainName(networkId) { return "chain " + networkId; }

  // ------------------------------------------------------------------------------------------ JSON-RPC over HTTP

  var rpcId = 0;
  function rpc(method, params) {
    return fetch("/", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method: method, params: params }) })
      .then(function (r) { return r.json(); })
      .then(function (r) {
        if (r.error) { var e = new Error(r.error.message); e.rpc = r.error; throw e; }
        return r.result;
      });
  }

  // ------------------------------------------------------------------------------------------ snapshot and events

  function applySnapshot(d) {
    state.snapshot = d;
    state.window = d.window;
    state.certs = new Map();
    d.certificates.forEach(function (c) { state.certs.set(c.certificateId, c); });
    state.chains = new Map();
    d.chains.forEach(function (c) { state.chains.set(c.networkId, c); });
    var buffered = state.buffered || [];
    state.buffered = null;
    buffered.forEach(function (e) { applyEvent(e, false); });
    drawAll();
    metrics.snapshots++;
    if (metrics.firstRenderMs === null) afterPaint(function () { metrics.firstRenderMs = performance.now(); document.body.setAttribute("data-rendered", "1"); });
  }

  function applySummary(d) {
    // the summaries only: the graph keeps its certificates and their events
    state.snapshot = Object.assign({}, d, { certificates: [] });
    d.chains.forEach(function (c) { state.chains.set(c.networkId, c); });
    drawSummaries();
  }

  function afterPaint(f) { requestAnimationFrame(function () { setTimeout(f, 0); }); }

  /** A status event; `counted`: also move the chain's counts (not for events older than the snapshot). */
  function applyEvent(e, counted) {
    if (e.type !== "status") return;
    var isNew = e.from === "PreConfirmed" && e.to === "PreConfirmed";
    var c = state.certs.get(e.certificateId);
    var chain = state.chains.get(e.networkId);
    if (counted && chain) {
      if (!isNew) chain.counts[e.from] = Math.max(0, (chain.counts[e.from] || 0) - 1);
      chain.counts[e.to] = (chain.counts[e.to] || 0) + 1;
      var h = e.height;
      if (isNew && (!chain.latest.preConfirmed || num(h) > num(chain.latest.preConfirmed))) chain.latest.preConfirmed = h;
      if (RANK[e.to] >= RANK.Confirmed && (!chain.latest.confirmed || num(h) > num(chain.latest.confirmed))) chain.latest.confirmed = h;
      if (e.to === "Finalized" && (!chain.latest.finalized || num(h) > num(chain.latest.finalized))) chain.latest.finalized = h;
    }
    if (isNew) {
      if (c) return;
      c = { certificateId: e.certificateId, networkId: e.networkId, height: e.height, revision: 0, status: "PreConfirmed", rejection: null, dependencies: e.dependencies || [], epoch: null, receivedAt: Date.now(), updatedAt: Date.now() };
      state.certs.set(c.certificateId, c);
      trimLane(e.networkId);
      scheduleDraw();
      return;
    }
    if (!c) return; // outside the window: counted above
    if (c.status !== e.from && !counted) return; // the snapshot is already past it
    c.status = e.to;
    c.rejection = e.rejection || null;
    c.updatedAt = Date.now();
    if (e.to === "Rejected") { scheduleDraw(); return; }
    var g = state.nodes.get(c.certificateId);
    if (g) g.setAttribute("class", "cert st-" + c.status + (state.selected === c.certificateId ? " selected" : ""));
  }

  /** A lane keeps the newest `window` certificates (by height); the others leave the drawing (the counts keep them). */
  function trimLane(networkId) {
    if (!state.window) return;
    var lane = [];
    state.certs.forEach(function (c) { if (c.networkId === networkId) lane.push(c); });
    if (lane.length <= state.window) return;
    lane.sort(function (a, b) { return num(b.height) - num(a.height) || b.revision - a.revision; });
    lane.slice(state.window).forEach(function (c) { state.certs.delete(c.certificateId); });
  }

  function onEvent(e) {
    var t0 = performance.now();
    if (state.buffered) { state.buffered.push(e); return; }
    applyEvent(e, true);
    scheduleChains();
    metrics.updates++;
    var applied = performance.now();
    afterPaint(function () {
      metrics.lastUpdate = { certificateId: e.certificateId, from: e.from, to: e.to, applyMs: applied - t0, paintedMs: performance.now() - t0 };
      metrics.recentUpdates.push(metrics.lastUpdate);
      if (metrics.recentUpdates.length > 256) metrics.recentUpdates.shift();
    });
  }

  /** The chains table follows the events' counts and heights, redrawn at most twice a second. */
  var chainsTimer = null;
  function scheduleChains() {
    if (chainsTimer) return;
    chainsTimer = setTimeout(function () { chainsTimer = null; drawChains(); }, 500);
  }

  function scheduleDraw() {
    if (state.drawScheduled) return;
    state.drawScheduled = true;
    requestAnimationFrame(function () { state.drawScheduled = false; drawGraph(); drawCascades(); });
  }

  // ------------------------------------------------------------------------------------------ connection

  function setConn(up, text) {
    metrics.connected = up;
    var c = document.getElementById("conn");
    c.className = "conn " + (up ? "conn-up" : "conn-down");
    c.textContent = text;
  }

  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    } catch (e) {
      return retry();
    }
    state.ws = ws;
    state.buffered = [];
    ws.onopen = function () {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: "sub", method: "subscribe", params: { events: ["status"] } }));
    };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.id === "sub") {
        if (msg.error) { setConn(false, "subscription refused: " + msg.error.message); ws.close(); return; }
        // subscribed: events from now on are buffered until the snapshot they follow is in
        rpc("getDashboard", { window: requestedWindow() }).then(function (d) {
          if (state.ws !== ws) return;
          state.backoffMs = 500;
          setConn(true, "live");
          applySnapshot(d);
        }).catch(function (e) { metrics.errors.push(String(e)); ws.close(); });
        return;
      }
      if (msg.method === "subscription" && msg.params) onEvent(msg.params.result);
    };
    ws.onclose = function () {
      if (state.ws !== ws) return;
      state.ws = null;
      retry();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function retry() {
    var wait = state.backoffMs;
    state.backoffMs = Math.min(state.backoffMs * 2, 10000);
    metrics.reconnects++;
    setConn(false, "disconnected · reconnecting in " + (wait / 1000).toFixed(1) + " s");
    setTimeout(connect, wait);
  }

  function requestedWindow() {
    var m = /[?&]window=(\d+)/.exec(location.search);
    return m ? Math.min(256, Number(m[1])) : 32;
  }

  function pollSummary() {
    setTimeout(pollSummary, SUMMARY_EVERY_MS);
    if (!metrics.connected) return;
    rpc("getDashboard", { window: 0 }).then(applySummary).catch(function (e) { metrics.errors.push(String(e)); });
  }

  // ------------------------------------------------------------------------------------------ drawing

  function drawAll() {
    drawGraph();
    drawCascades();
    drawSummaries();
  }

  function drawSummaries() {
    drawHeader();
    drawChains();
    drawEpochs();
    drawOps();
  }

  function drawLegend() {
    var l = document.getElementById("legend");
    clear(l);
    STATUSES.forEach(function (s) { var x = el("span", { text: s }); x.style.setProperty("--c", "var(--" + s + ")"); l.appendChild(x); });
    l.appendChild(el("span", { cls: "muted", text: "arrow: depends on · dashed: on a certificate outside the window · click a certificate for its detail" }));
  }

  function lanes() {
    var ids = [];
    state.chains.forEach(function (c, id) { ids.push(id); });
    state.certs.forEach(function (c) { if (ids.indexOf(c.networkId) < 0) ids.push(c.networkId); });
    return ids.sort(function (a, b) { return a - b; });
  }

  function drawGraph() {
    var host = document.getElementById("graph");
    state.nodes = new Map();
    var laneIds = lanes();
    // columns per lane: its heights ascending, right-aligned to the widest lane
    var byLane = new Map(), cols = 0;
    laneIds.forEach(function (id) { byLane.set(id, []); });
    state.certs.forEach(function (c) { byLane.get(c.networkId).push(c); });
    var heightsOf = new Map();
    byLane.forEach(function (list, id) {
      var hs = [];
      list.forEach(function (c) { var h = num(c.height); if (hs.indexOf(h) < 0) hs.push(h); });
      hs.sort(function (a, b) { return a - b; });
      heightsOf.set(id, hs);
      cols = Math.max(cols, hs.length);
    });
    var width = LABEL_W + Math.max(cols, 8) * COL_W + 24;
    var height = TOP + laneIds.length * LANE_H + 8;
    var root = svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "dependency graph" });
    var defs = svg("defs");
    ["arrow", "arrow-rejected"].forEach(function (name) {
      var m = svg("marker", { id: name, viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      m.appendChild(svg("path", { d: "M0,0 L8,4 L0,8 z", fill: name === "arrow" ? "#5b6b7c" : "#ef4444" }));
      defs.appendChild(m);
    });
    root.appendChild(defs);
    var pos = new Map(), laneY = new Map();
    laneIds.forEach(function (id, i) {
      var y = TOP + i * LANE_H;
      laneY.set(id, y);
      root.appendChild(svg("rect", { class: "lane-bg", x: 0, y: y + 2, width: width, height: LANE_H - 4, rx: 4 }));
      var chain = state.chains.get(id);
      var label = svg("text", { class: "lane-label", x: 8, y: y + 20, text: chainName(id) + (chain && chain.optOut ? " · opt-out" : "") + (chain && chain.ejected ? " · EJECTED" : "") });
      label.setAttribute("data-lane", String(id));
      root.appendChild(label);
      var shown = byLane.get(id).length;
      var total = chain ? STATUSES.reduce(function (a, s) { return a + (chain.counts[s] || 0); }, 0) : shown;
      var rest = Math.max(0, total - shown);
      root.appendChild(svg("text", { class: "lane-sub", x: 8, y: y + 36, text: rest > 0 ? "+" + rest.toLocaleString("en") + " earlier certificates" : total + " certificates" }));
      if (chain && rest > 0) {
        var live = ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling"].reduce(function (a, s) { return a + (chain.counts[s] || 0); }, 0);
        root.appendChild(svg("text", { class: "lane-sub", x: 8, y: y + 50, text: live.toLocaleString("en") + " in progress · " + (chain.counts.Finalized || 0).toLocaleString("en") + " final · " + (chain.counts.Rejected || 0) + " rejected" }));
      }
      var hs = heightsOf.get(id);
      var offset = cols - hs.length;
      var revs = new Map();
      byLane.get(id).slice().sort(function (a, b) { return b.revision - a.revision; }).forEach(function (c) {
        var h = num(c.height), k = revs.get(h) || 0;
        revs.set(h, k + 1);
        var x = LABEL_W + (offset + hs.indexOf(h)) * COL_W + COL_W / 2;
        var cy = y + LANE_H / 2 - 4 + (k === 0 ? 0 : (k % 2 ? -1 : 1) * 14 * Math.ceil(k / 2));
        pos.set(c.certificateId, { x: x, y: cy });
      });
    });
    // arrows first, nodes on top
    var arrows = svg("g");
    state.certs.forEach(function (c) {
      var from = pos.get(c.certificateId);
      c.dependencies.forEach(function (d) {
        var to = pos.get(d.certificateId);
        var rejected = c.status === "Rejected" && c.rejection && c.rejection.cause && c.rejection.cause.certificateId === d.certificateId;
        var cls = "dep" + (rejected ? " rejected" : "") + (to ? "" : " outside");
        var tx, ty;
        if (to) { tx = to.x; ty = to.y; }
        else if (laneY.has(d.networkId)) { tx = LABEL_W - 4; ty = laneY.get(d.networkId) + LANE_H / 2 - 4; }
        else return;
        var dx = tx - from.x, dy = ty - from.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
        var x1 = from.x + (dx / len) * R, y1 = from.y + (dy / len) * R, x2 = tx - (to ? (dx / len) * (R + 1) : 0), y2 = ty - (to ? (dy / len) * (R + 1) : 0);
        var bend = dy === 0 ? -18 : 0;
        var path = svg("path", { class: cls, d: "M" + x1 + "," + y1 + " Q" + (x1 + x2) / 2 + "," + ((y1 + y2) / 2 + bend) + " " + x2 + "," + y2, "marker-end": rejected ? "url(#arrow-rejected)" : "url(#arrow)" });
        arrows.appendChild(path);
      });
    });
    root.appendChild(arrows);
    var nodes = svg("g");
    state.certs.forEach(function (c) {
      var p = pos.get(c.certificateId);
      var g = svg("g", { class: "cert st-" + c.status + (state.selected === c.certificateId ? " selected" : ""), "data-id": c.certificateId, "data-network": c.networkId, "data-height": dec(c.height), tabindex: 0 });
      var title = svg("title", { text: chainName(c.networkId) + " height " + dec(c.height) + (c.revision ? " revision " + c.revision : "") + " · " + c.status + (c.rejection ? " · " + c.rejection.code + ": " + c.rejection.detail : "") + "\n" + c.certificateId });
      g.appendChild(title);
      g.appendChild(svg("circle", { cx: p.x, cy: p.y, r: R }));
      g.appendChild(svg("text", { x: p.x, y: p.y + R + 11, "text-anchor": "middle", text: dec(c.height) }));
      if (c.status === "Rejected" && c.rejection) {
        g.appendChild(svg("text", { class: "reason", x: p.x, y: p.y - R - 4, "text-anchor": "middle", text: c.rejection.code === "DEPENDENCY_REJECTED" ? "DEP" : c.rejection.code }));
      }
      g.addEventListener("click", function () { location.hash = "cert=" + c.certificateId; });
      nodes.appendChild(g);
      state.nodes.set(c.certificateId, g);
    });
    root.appendChild(nodes);
    clear(host);
    host.appendChild(root);
    var note = document.getElementById("window-note");
    note.textContent = "· newest " + state.window + " certificates per chain drawn (" + state.certs.size.toLocaleString("en") + "), the rest counted per lane";
  }

  /** Rejections whose cascade is visible: each root with the certificates it took down. */
  function drawCascades() {
    var host = document.getElementById("cascades");
    clear(host);
    var roots = new Map();
    state.certs.forEach(function (c) {
      if (c.status !== "Rejected" || !c.rejection) return;
      var root = c.rejection.root || (c.rejection.cause ? c.rejection.cause : null);
      var rootId = root ? root.certificateId : c.certificateId;
      var entry = roots.get(rootId) || { root: null, rootRef: root, taken: [] };
      if (rootId === c.certificateId) entry.root = c;
      else entry.taken.push(c);
      roots.set(rootId, entry);
    });
    if (roots.size === 0) { host.appendChild(el("p", { cls: "muted", text: "No rejected certificate in the window." })); return; }
    roots.forEach(function (entry, rootId) {
      var r = entry.root;
      var box = el("div", { cls: "cascade", "data-root": rootId });
      var head = r
        ? el("div", null, [el("span", { cls: "bad", text: r.rejection.code }), " ", certLink(r), el("div", { cls: "muted", text: r.rejection.detail })])
        : el("div", null, ["caused by ", certLink(entry.rootRef), el("span", { cls: "muted", text: " (outside the window)" })]);
      box.appendChild(head);
      if (entry.taken.length) {
        box.appendChild(el("div", { text: "its cascade took down " + entry.taken.length + ":" }));
        var ul = el("ul");
        entry.taken.forEach(function (t) {
          ul.appendChild(el("li", { "data-cascaded": t.certificateId }, [el("span", { cls: "bad", text: t.rejection.code }), " ", certLink(t), t.rejection.cause ? el("span", { cls: "muted", text: " (cause " + short(t.rejection.cause.certificateId) + ")" }) : null]));
        });
        box.appendChild(ul);
      } else box.appendChild(el("div", { cls: "muted", text: "no dependent certificate was taken down" }));
      host.appendChild(box);
    });
  }

  function drawHeader() {
    var d = state.snapshot;
    if (!d) return;
    var t = d.totals;
    document.getElementById("summary").textContent = "state " + d.state + " · up " + ago(d.uptimeSec * 1000) + " · " + (t.total || 0).toLocaleString("en") + " certificates (" +
      ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling"].reduce(function (a, s) { return a + (t[s] || 0); }, 0).toLocaleString("en") + " in progress)";
  }

  function drawChains() {
    var table = document.getElementById("chains");
    clear(table);
    var head = el("tr", null, ["chain", "policy (L1)", "stake", "ejected", "newest pre-confirmed", "confirmed", "finalized", "finality lag", "oldest unfinalized", "certificates by status"].map(function (h, i) { return el("th", { cls: i >= 4 && i <= 6 ? "num" : null, text: h }); }));
    table.appendChild(head);
    var ids = [];
    state.chains.forEach(function (c, id) { ids.push(id); });
    ids.sort(function (a, b) { return a - b; }).forEach(function (id) {
      var c = state.chains.get(id);
      var total = STATUSES.reduce(function (a, s) { return a + (c.counts[s] || 0); }, 0);
      var bar = el("span", { cls: "bar", title: STATUSES.map(function (s) { return s + " " + (c.counts[s] || 0); }).join(", ") });
      STATUSES.forEach(function (s) {
        if (!c.counts[s]) return;
        var i = el("i");
        i.style.setProperty("--c", "var(--" + s + ")");
        i.style.width = (100 * c.counts[s] / total).toFixed(2) + "%";
        bar.appendChild(i);
      });
      table.appendChild(el("tr", { "data-chain": id }, [
        el("td", { text: chainName(id) }),
        el("td", { text: c.optOut ? "opt-out: settles directly" : "settles through the layer", title: "policy flags " + c.policyFlags }),
        el("td", { text: eth(c.stake) }),
        el("td", { cls: c.ejected ? "bad" : "good", text: c.ejected ? "ejected" : "no" }),
        el("td", { cls: "num", text: c.latest.preConfirmed ? dec(c.latest.preConfirmed) : "–" }),
        el("td", { cls: "num", text: c.latest.confirmed ? dec(c.latest.confirmed) : "–" }),
        el("td", { cls: "num", text: c.latest.finalized ? dec(c.latest.finalized) : "–" }),
        el("td", { text: c.finalityLagHeights + (c.finalityLagHeights === 1 ? " height" : " heights") }),
        el("td", null, c.oldestUnfinalized ? [certLink({ networkId: id, height: c.oldestUnfinalized.height, certificateId: c.oldestUnfinalized.certificateId }, "h " + dec(c.oldestUnfinalized.height)), " · " + ago(c.oldestUnfinalized.ageMs) + " ago"] : [el("span", { cls: "muted", text: "none" })]),
        el("td", null, [bar, " " + total.toLocaleString("en")]),
      ]));
    });
    var d = state.snapshot;
    if (d && d.chainsOmitted) table.appendChild(el("tr", null, [el("td", { colspan: 10, cls: "muted", text: d.chainsOmitted + " more chains not listed" })]));
  }

  function drawEpochs() {
    var d = state.snapshot;
    if (!d) return;
    var counts = document.getElementById("epoch-counts");
    clear(counts);
    ["proved", "settling", "settled", "failed", "abandoned"].forEach(function (s) {
      counts.appendChild(el("span", { cls: "chip", text: EPOCH_LABEL[s] + ": " + (d.epochs.counts[s] || 0) }));
    });
    var table = document.getElementById("epochs");
    clear(table);
    table.appendChild(el("tr", null, ["epoch", "status", "certificates", "L1 batch", "L1 transaction", "gas", "why", "updated"].map(function (h) { return el("th", { text: h }); })));
    d.epochs.recent.forEach(function (e) {
      table.appendChild(el("tr", { "data-epoch": e.id, "data-status": e.status }, [
        el("td", { text: "#" + e.id }),
        el("td", { cls: e.status === "failed" || e.status === "abandoned" ? "bad" : e.status === "settled" ? "good" : null, text: EPOCH_LABEL[e.status] || e.status }),
        el("td", { cls: "num", text: e.size }),
        el("td", { text: e.l1Epoch === null ? "–" : e.l1Epoch }),
        el("td", { cls: "mono", title: e.l1Tx || "", text: e.l1Tx ? short(e.l1Tx) : "–" }),
        el("td", { cls: "num gas", text: e.gasUsed ? Number(e.gasUsed).toLocaleString("en") : e.status === "settled" ? "…" : "–" }),
        el("td", { cls: "bad", text: e.failure || "" }),
        el("td", { cls: "muted", text: ago(d.at - e.updatedAt) + " ago" }),
      ]));
    });
    if (!d.epochs.recent.length) table.appendChild(el("tr", null, [el("td", { colspan: 8, cls: "muted", text: "no epoch yet" })]));
  }

  function drawOps() {
    var d = state.snapshot;
    if (!d) return;
    var host = document.getElementById("ops");
    clear(host);
    var p = d.provers;
    var dl = el("dl", { cls: "kv" });
    function row(k, v, cls) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", { cls: cls, text: v })); }
    row("backup prover", p.enabled ? "enabled · " + p.workers + " worker" + (p.workers === 1 ? "" : "s") : "disabled (chains prove their own certificates)");
    row("proving now / queued", p.busy + " / " + p.queued);
    row("L1", d.l1.connected ? "connected" : "disconnected", d.l1.connected ? "good" : "bad");
    row("L1 head block", d.l1.block === null ? "–" : String(d.l1.block));
    row("L1 sync lag", d.l1.lagBlocks === null ? "–" : d.l1.lagBlocks + " blocks");
    if (d.l1.diverged) row("L1 view", "diverged: epochs stopped", "bad");
    host.appendChild(dl);
    if (p.jobs.length) {
      host.appendChild(el("h3", { text: "backup-prover jobs in flight" }));
      var ul = el("ul");
      p.jobs.forEach(function (j) { ul.appendChild(el("li", null, ["job " + j.id + " · " + j.status + " · ", certLink({ networkId: "?", height: "0x0", certificateId: j.certificateId }, short(j.certificateId))])); });
      host.appendChild(ul);
    }
  }

  // ------------------------------------------------------------------------------------------ certificate detail

  function selectFromHash() {
    var m = /cert=(0x[0-9a-fA-F]{1,64})/.exec(location.hash);
    var prev = state.selected && state.nodes.get(state.selected);
    state.selected = m ? m[1].toLowerCase() : null;
    if (prev) prev.setAttribute("class", prev.getAttribute("class").replace(" selected", ""));
    var g = state.selected && state.nodes.get(state.selected);
    if (g) g.setAttribute("class", g.getAttribute("class") + " selected");
    var panel = document.getElementById("detail");
    if (!state.selected) { panel.hidden = true; return; }
    panel.hidden = false;
    clear(panel);
    panel.appendChild(el("p", { cls: "muted", text: "loading " + state.selected + " …" }));
    var id = state.selected;
    rpc("getCertificate", { certificateId: id, withProof: true, withHistory: true }).then(function (c) {
      if (state.selected === id) drawDetail(c);
    }).catch(function (e) {
      if (state.selected !== id) return;
      clear(panel);
      panel.appendChild(el("p", { cls: "error", text: "certificate " + id + ": " + e.message }));
    });
  }

  function drawDetail(c) {
    var panel = document.getElementById("detail");
    clear(panel);
    panel.setAttribute("data-id", c.certificateId);
    var close = el("a", { href: "#", cls: "close", text: "close ✕" });
    panel.appendChild(close);
    panel.appendChild(el("h2", { text: "Certificate " + chainName(c.networkId) + " height " + dec(c.height) }));
    var dl = el("dl");
    function row(k, v) { dl.appendChild(el("dt", { text: k })); var dd = el("dd"); if (typeof v === "string") dd.textContent = v; else if (v) dd.appendChild(v); dl.appendChild(dd); }
    row("id", el("span", { cls: "mono", text: c.certificateId }));
    row("status", statusChip(c.status));
    if (c.rejection) {
      row("rejected", el("span", null, [el("span", { cls: "bad", text: c.rejection.code }), " " + c.rejection.detail]));
      if (c.rejection.cause) row("cause", certLink(c.rejection.cause));
      if (c.rejection.root) row("cascade root", certLink(c.rejection.root));
    }
    row("new local exit root", el("span", { cls: "mono", text: c.newLocalExitRoot }));
    row("epoch", c.epoch === null ? "–" : "#" + c.epoch);
    row("L1 transaction", c.l1Tx ? el("span", { cls: "mono", text: c.l1Tx }) : "–");
    row("received", time(c.receivedAt));
    var deps = el("span");
    if (!c.dependencies.length) deps.textContent = "none";
    c.dependencies.forEach(function (d, i) { if (i) deps.appendChild(document.createTextNode(", ")); deps.appendChild(certLink(d)); });
    row("dependencies", deps);
    var dependents = el("span");
    if (!c.dependents.length) dependents.textContent = "none";
    c.dependents.forEach(function (d, i) { if (i) dependents.appendChild(document.createTextNode(", ")); dependents.appendChild(certLink(d)); });
    row("dependents", dependents);
    if (c.proof) {
      var pi = c.proof.proof && c.proof.proof.pi_a ? String(c.proof.proof.pi_a[0]) : "";
      row("proof", (c.proofSource ? "from " + (c.proofSource === "backup" ? "the backup prover" : "the chain") + " · " : "") + "groth16, " + c.proof.publicSignals.length + " public signals · pi_a[0] " + short(pi));
    } else row("proof", c.proofSource ? "from " + c.proofSource : "none yet");
    panel.appendChild(dl);
    panel.appendChild(el("h3", { text: "Timeline" }));
    var tl = el("table", { cls: "timeline" });
    tl.appendChild(el("tr", null, [el("td", { cls: "muted", text: time(c.receivedAt) }), el("td", null, [statusChip("PreConfirmed")]), el("td", { text: "received" })]));
    (c.history || []).forEach(function (h) {
      tl.appendChild(el("tr", null, [el("td", { cls: "muted", text: time(h.at) }), el("td", null, [statusChip(h.to)]), el("td", { text: "from " + h.from + (h.rejection ? " · " + h.rejection.code + ": " + h.rejection.detail : "") })]));
    });
    panel.appendChild(tl);
  }

  // ------------------------------------------------------------------------------------------ start

  drawLegend();
  window.addEventListener("hashchange", selectFromHash);
  selectFromHash();
  connect();
  setTimeout(pollSummary, SUMMARY_EVERY_MS);
})();
