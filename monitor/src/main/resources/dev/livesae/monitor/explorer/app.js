// livesae feature explorer: a table of every feature (sorted, searched and paged by the server) and a page per
// feature with its contexts. Reads the monitor's JSON routes on the same origin and polls them for live updates.
"use strict";

(function () {
  const POLL_MS = 3000;
  const PAGE = 50;
  const SVG = "http://www.w3.org/2000/svg";
  const state = { streams: [], stream: null, sort: "density", order: "desc", q: "", offset: 0, total: 0, feature: null };
  let busy = false;
  let again = false;

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };

  function query(params) {
    const p = new URLSearchParams();
    if (state.stream) {
      p.set("sae_id", state.stream.saeId);
      p.set("hookpoint", state.stream.hookpoint);
    }
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== "") p.set(k, v);
    }
    const s = p.toString();
    return s ? "?" + s : "";
  }

  async function getJson(path, params) {
    const res = await fetch(path + query(params), { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || res.status + " " + res.statusText);
    return body;
  }

  // --- formatting -------------------------------------------------------------------------------------------
  const pct = (d) => (d === null || d === undefined ? "–" : (100 * d).toFixed(d >= 0.001 || d === 0 ? 3 : 4) + " %");
  const num = (x, digits) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));
  const ago = (t) => (t === null || t === undefined ? "never" : t === 0 ? "last token" : Number(t).toLocaleString() + " tok ago");

  // Subword pieces: "##ing" (WordPiece) continues the previous token; "▁x" / "Ġx" (SentencePiece, byte BPE) start a word.
  function piece(text) {
    if (text.startsWith("##")) return { text: text.slice(2), joins: true };
    if (text.startsWith("\u2581") || text.startsWith("\u0120")) return { text: text.slice(1), joins: false };
    return { text: text, joins: false };
  }

  // One context: its tokens in order, the firing token outlined and shaded by its activation relative to `scale`.
  function renderContext(ctx, scale) {
    const line = el("span", "context");
    ctx.text.forEach((raw, i) => {
      const p = piece(raw);
      if (i > 0 && !p.joins) line.appendChild(document.createTextNode(" "));
      const t = el("span", "tok", p.text);
      t.dataset.text = raw;
      if (i === ctx.firing) {
        t.classList.add("firing");
        const a = Math.max(0.15, Math.min(1, scale > 0 ? ctx.activation / scale : 1));
        t.style.backgroundColor = "rgba(240, 140, 74, " + a.toFixed(3) + ")";
        t.title = raw + " · activation " + ctx.activation.toFixed(3);
      }
      line.appendChild(t);
    });
    return line;
  }

  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  function polyline(svg, values, w, h, pad) {
    const max = Math.max(...values, 1e-12);
    const step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
    const pts = values.map((v, i) => (pad + i * step).toFixed(1) + "," + (h - pad - (v / max) * (h - 2 * pad)).toFixed(1));
    svg.appendChild(svgEl("polyline", { class: "line", points: pts.join(" ") }));
    return max;
  }

  function sparkline(values) {
    const svg = svgEl("svg", { class: "spark", viewBox: "0 0 96 20" });
    if (values && values.length) polyline(svg, Array.from(values), 96, 20, 2);
    return svg;
  }

  // --- the table ----------------------------------------------------------------------------------------------
  async function loadTable() {
    const page = await getJson("/features", { sort: state.sort, order: state.order, q: state.q, offset: state.offset, limit: PAGE });
    state.total = page.total;
    const body = $("features").tBodies[0];
    const rows = document.createDocumentFragment();
    for (const f of page.features) {
      const tr = el("tr", "feature-row");
      tr.dataset.id = f.id;
      tr.appendChild(el("td", "num", "#" + f.id));
      tr.appendChild(el("td", "num", pct(f.density)));
      tr.appendChild(el("td", "num", num(f.meanActivation, 3)));
      tr.appendChild(el("td", "num", ago(f.tokensSinceFired)));
      tr.appendChild(el("td", "num", f.driftContribution === null ? "–" : f.driftContribution.toExponential(2)));
      const spark = el("td");
      spark.appendChild(sparkline(f.sparkline));
      tr.appendChild(spark);
      const ctx = el("td", "ctx");
      if (f.top) ctx.appendChild(renderContext(f.top, f.top.activation));
      else ctx.appendChild(el("span", "muted", page.contextsEnabled ? "no context yet" : "contexts off"));
      tr.appendChild(ctx);
      tr.addEventListener("click", () => openFeature(f.id));
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
    for (const th of document.querySelectorAll("th[data-sort]")) {
      th.classList.remove("sorted-asc", "sorted-desc");
      if (th.dataset.sort === page.sort) th.classList.add(page.order === "asc" ? "sorted-asc" : "sorted-desc");
    }
    $("count").textContent = page.total.toLocaleString() + (state.q ? " matching" : "") + " of " + page.dSae.toLocaleString() + " features";
    const last = Math.min(page.total, state.offset + page.features.length);
    $("range").textContent = page.total ? (state.offset + 1).toLocaleString() + "–" + last.toLocaleString() : "";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = last >= page.total;
    status(page);
    document.body.dataset.ready = "table";
  }

  function status(p) {
    const model = p.model || (state.stream && state.stream.model) || "";
    $("status").textContent = model + " · " + p.hookpoint + " · " + p.saeId + " v" + p.dictionaryVersion + " · window " +
      p.windowIndex + (p.windowClosed ? "" : " (open)") + " · " + Number(p.tokensSeen).toLocaleString() +
      " tokens · updated " + new Date().toLocaleTimeString();
  }

  // --- one feature --------------------------------------------------------------------------------------------
  async function loadFeature(id) {
    const f = await getJson("/features/" + id);
    const view = $("feature-view");
    view.dataset.id = f.id;
    $("feature-title").textContent = "Feature #" + f.id;
    const stats = $("feature-stats");
    stats.replaceChildren();
    const add = (k, v) => { stats.appendChild(el("dt", null, k)); stats.appendChild(el("dd", null, v)); };
    add("density", pct(f.density));
    add("mean activation", num(f.meanActivation, 3));
    add("last fired", ago(f.tokensSinceFired));
    add("baseline density", pct(f.baselineDensity));
    add("drift contribution", f.driftContribution === null || f.driftContribution === undefined ? "–" : f.driftContribution.toExponential(2));
    add("window", f.windowIndex + (f.windowClosed ? "" : " (open)") + ", " + f.windowTokens.toLocaleString() + " tokens");
    add("dictionary", f.saeId + " v" + f.dictionaryVersion);
    add("firings counted", f.histogram ? f.histogram.total.toLocaleString() : "–");

    const scale = f.contexts.length ? f.contexts[0].activation : (f.histogram ? f.histogram.max : 1);
    const list = (target, contexts) => {
      const ol = $(target);
      ol.replaceChildren();
      for (const c of contexts) {
        const li = el("li");
        li.appendChild(el("span", "act", c.activation.toFixed(3)));
        li.appendChild(renderContext(c, scale));
        if (c.quantileBin !== null && c.quantileBin !== undefined) li.appendChild(el("span", "bin", "quartile " + (c.quantileBin + 1)));
        ol.appendChild(li);
      }
    };
    list("contexts", f.contexts);
    list("samples", f.samples);
    $("contexts-note").textContent = !f.contextsEnabled ? "The monitor runs with --contexts off: no text is stored."
      : !f.contexts.length ? "No context stored for this feature yet."
      : f.vocabulary ? "" : "No vocabulary published for this model yet: tokens show as ids.";
    drawHistogram(f.histogram);
    drawHistory(f.densityHistory);
    document.title = "Feature #" + f.id + " · livesae";
    status(f);
    document.body.dataset.ready = "feature";
  }

  function drawHistogram(h) {
    const svg = $("histogram");
    svg.replaceChildren();
    if (!h || !h.total) return;
    let first = h.counts.findIndex((c) => c > 0);
    let last = h.counts.length - 1 - [...h.counts].reverse().findIndex((c) => c > 0);
    const counts = h.counts.slice(first, last + 1);
    const max = Math.max(...counts);
    const w = 340 / counts.length;
    counts.forEach((c, i) => {
      const bh = (c / max) * 95;
      svg.appendChild(svgEl("rect", { class: "bar", x: 10 + i * w, y: 105 - bh, width: Math.max(1, w - 1), height: bh }));
    });
    const label = (x, text, anchor) => {
      const t = svgEl("text", { class: "axis", x: x, y: 117, "text-anchor": anchor });
      t.textContent = text;
      svg.appendChild(t);
    };
    label(10, h.lowerEdges[first].toPrecision(2), "start");
    label(350, "max " + h.max.toPrecision(3), "end");
  }

  function drawHistory(points) {
    const svg = $("history");
    svg.replaceChildren();
    if (!points || !points.length) return;
    const max = polyline(svg, points.map((p) => p.density), 360, 104, 8);
    const t = svgEl("text", { class: "axis", x: 352, y: 117, "text-anchor": "end" });
    t.textContent = "max " + pct(max) + " · windows " + points[0].windowIndex + "–" + points[points.length - 1].windowIndex;
    svg.appendChild(t);
  }

  // --- navigation -----------------------------------------------------------------------------------------------
  function route() {
    const p = new URLSearchParams(location.search);
    const f = p.get("feature");
    state.feature = f !== null && /^\d+$/.test(f) ? Number(f) : null;
    $("table-view").hidden = state.feature !== null;
    $("feature-view").hidden = state.feature === null;
    return refresh();
  }

  function openFeature(id) {
    history.pushState(null, "", "?feature=" + id);
    route();
  }

  async function refresh() {
    if (busy) {
      again = true; // a click during a poll: render once more with the new state when this one ends
      return;
    }
    busy = true;
    again = false;
    try {
      if (!state.stream) await loadStreams();
      if (!state.stream) {
        $("status").textContent = "waiting for the first code batch…";
        return;
      }
      if (state.feature !== null) await loadFeature(state.feature);
      else await loadTable();
    } catch (e) {
      $("status").textContent = "error: " + e.message;
    } finally {
      busy = false;
      if (again) refresh();
    }
  }

  async function loadStreams() {
    const body = await fetch("/streams", { credentials: "same-origin" }).then((r) => r.json());
    state.streams = body.streams || [];
    const select = $("stream");
    select.replaceChildren();
    state.streams.forEach((s, i) => {
      const o = el("option", null, s.saeId + " @ " + s.hookpoint);
      o.value = i;
      select.appendChild(o);
    });
    select.hidden = state.streams.length < 2;
    const p = new URLSearchParams(location.search);
    const wanted = state.streams.findIndex((s) => s.saeId === p.get("sae_id") && s.hookpoint === p.get("hookpoint"));
    state.stream = state.streams[wanted >= 0 ? wanted : 0] || null;
    if (wanted >= 0) select.value = wanted;
  }

  function init() {
    for (const th of document.querySelectorAll("th[data-sort]")) {
      th.addEventListener("click", () => {
        const s = th.dataset.sort;
        if (state.sort === s) state.order = state.order === "asc" ? "desc" : "asc";
        else { state.sort = s; state.order = s === "id" || s === "last" ? "asc" : "desc"; }
        state.offset = 0;
        refresh();
      });
    }
    let timer = null;
    $("search").addEventListener("input", (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = e.target.value.trim(); state.offset = 0; refresh(); }, 250);
    });
    $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); refresh(); });
    $("next").addEventListener("click", () => { state.offset += PAGE; refresh(); });
    $("stream").addEventListener("change", (e) => { state.stream = state.streams[Number(e.target.value)]; state.offset = 0; refresh(); });
    $("home").addEventListener("click", (e) => { e.preventDefault(); history.pushState(null, "", "/"); route(); });
    $("back").addEventListener("click", (e) => { e.preventDefault(); history.pushState(null, "", "/"); route(); });
    window.addEventListener("popstate", route);
    route();
    setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  }

  init();
})();
