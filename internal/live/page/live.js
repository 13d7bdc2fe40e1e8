// The live page of a troupe server's admin listener: it renders the
// snapshot of GET /api/state, then each one GET /api/events pushes.
// Plain JavaScript, no dependencies; text goes in with textContent only.
"use strict";

// el makes an element: el("td", {class: "num"}, "3", child, …).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("data-")) e.setAttribute(k, v);
    else if (k === "class") e.className = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map(h => el("th", h.startsWith("#") ? {class: "num"} : {}, h.replace(/^#/, ""))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function num(v, attrs) { return el("td", Object.assign({class: "num"}, attrs || {}), v); }

function ms(v) {
  if (!v) return "0";
  if (v >= 1000) return (v / 1000).toFixed(1) + " s";
  return v.toFixed(v < 10 ? 2 : 0) + " ms";
}

function meter(value, max) {
  const pct = max > 0 ? Math.min(100, 100 * value / max) : 0;
  return el("span", {class: "meter", title: value + " / " + max}, el("span", {style: "width:" + pct + "%"}));
}

function replace(id, ...nodes) {
  const box = document.getElementById(id);
  box.replaceChildren(...nodes);
}

function gate(s) {
  if (s.up) return el("td", {class: "gate up"}, "up");
  return el("td", {class: "gate down"}, "down", s.reopens_in_ms > 0 ? el("span", {class: "dim"}, " (reopens in " + ms(s.reopens_in_ms) + ")") : null);
}

function stageRows(stages) {
  return stages.map(s => el("tr", {"data-stage": s.name},
    el("td", {class: "name"}, el("span", {class: "chip"}, s.name), s.critical ? el("span", {class: "badge"}, "critical") : null),
    num(s.restarts, {class: "num restarts"}),
    gate(s),
    num(s.closures),
    el("td", {}, s.concurrency > 0 ? s.running + "/" + s.concurrency + (s.waiting > 0 ? ", " + s.waiting + " waiting" : "") : el("span", {class: "dim"}, "none")),
    el("td", {class: "reason"}, s.last_failure || "", s.last_failure_at ? el("span", {class: "dim"}, " at " + new Date(s.last_failure_at).toLocaleTimeString()) : null)));
}

const stageHeaders = ["stage", "#restarts", "gate", "#closures", "cap", "last failure"];

function renderServer(snap) {
  const s = snap.server;
  const rows = [
    el("tr", {}, el("th", {}, "ready"), el("td", {class: s.ready ? "up" : "down", id: "ready"}, s.ready ? "yes" : "no")),
    el("tr", {}, el("th", {}, "in flight / max_in_flight"), el("td", {id: "in-flight"}, s.in_flight + " / " + s.max_in_flight + " ", meter(s.in_flight, s.max_in_flight))),
  ];
  for (const r of s.reasons || []) rows.push(el("tr", {}, el("th", {}, "not ready"), el("td", {class: "reason"}, r)));
  for (const r of s.degraded || []) rows.push(el("tr", {}, el("th", {}, "degraded"), el("td", {class: "reason"}, r)));
  replace("server", el("table", {}, el("tbody", {}, ...rows)));
}

function renderTree(snap) {
  replace("tree", ...snap.hops.map(h => el("div", {class: "card hop", "data-hop": h.name},
    el("h4", {}, h.name),
    el("p", {},
      el("span", {class: "badge kind"}, h.kind),
      " " + h.actors.length + (h.actors.length === 1 ? " actor: " : " actors: "),
      ...h.actors.map((a, i) => el("span", {class: "chip actor", title: a}, h.kind === "stateless" ? "sentinel" : "partition " + i)),
      " · mailbox: ", el("span", {class: "mailbox"}, h.mailbox)),
    table(stageHeaders, stageRows(h.stages)))));
  replace("components", snap.components.length === 0 ? el("p", {class: "dim"}, "none") :
    table(stageHeaders, stageRows(snap.components)));
}

function renderRoutes(snap) {
  replace("routes", table(["method", "pattern", "itinerary (hops in order)", "criticality"], snap.routes.map(r =>
    el("tr", {"data-route": r.method + " " + r.pattern},
      el("td", {}, r.method),
      el("td", {}, el("code", {}, r.pattern)),
      el("td", {class: "itinerary"}, ...r.hops.flatMap((h, i) => [i > 0 ? el("span", {class: "arrow"}, " → ") : null, el("span", {class: "chip"}, h)])),
      el("td", {}, r.criticality)))));
}

function histogram(sizes) {
  // Prometheus buckets are cumulative: draw each bucket's own count.
  const own = sizes.map((b, i) => b.count - (i > 0 ? sizes[i - 1].count : 0));
  const top = Math.max(1, ...own);
  return el("div", {},
    el("div", {class: "hist"}, ...own.map((n, i) => el("div", {title: "≤ " + sizes[i].le + ": " + n, style: "height:" + (100 * n / top) + "%"}))),
    el("div", {class: "hist-labels"}, ...sizes.map(b => el("span", {}, "≤" + b.le))));
}

function counts(m) {
  const entries = Object.entries(m || {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return el("span", {class: "dim"}, "none yet");
  return el("span", {}, ...entries.map(([k, n]) => el("span", {class: "chip", "data-reason": k}, k + ": " + n)));
}

function renderBatchers(snap) {
  replace("batchers", snap.batchers.length === 0 ? el("p", {class: "dim"}, "none") : el("div", {}, ...snap.batchers.map(b =>
    el("div", {class: "card", "data-batcher": b.name},
      el("h4", {}, b.name),
      el("p", {}, "queue: ", el("span", {class: "queued"}, b.queued), " / " + b.max_queue + " ", meter(b.queued, b.max_queue),
        " · batches in flight: " + b.in_flight + " / " + b.max_in_flight,
        " · sent: " + b.batches + " batches, " + b.items + " items"),
      el("p", {}, "flush reasons: ", counts(b.flushes)),
      el("p", {}, "rejections: ", counts(b.rejections)),
      el("p", {class: "dim"}, "batch sizes (max " + b.max_batch_size + "):"),
      histogram(b.sizes)))));
}

function renderUpstreams(snap) {
  replace("upstreams", snap.upstreams.length === 0 ? el("p", {class: "dim"}, "none") :
    table(["upstream", "breaker", "open for", "#requests", "#failures", "#in a row", "targets"], snap.upstreams.map(u =>
      el("tr", {"data-upstream": u.name},
        el("td", {}, el("span", {class: "chip"}, u.name)),
        el("td", {class: "state state-" + u.state}, u.state),
        el("td", {class: "open-for"}, u.state === "open" ? ms(u.open_for_ms) : ""),
        num(u.requests), num(u.total_failures), num(u.consecutive_failures),
        el("td", {}, ...u.targets.map(t => el("span", {class: "chip " + (t.healthy ? "up" : "down")}, t.url + " (" + t.in_flight + ")")))))));
}

function renderLimits(snap) {
  const s = snap.server;
  replace("limits",
    el("p", {}, "max_in_flight: " + s.in_flight + " in flight of " + s.max_in_flight + " ", meter(s.in_flight, s.max_in_flight)),
    table(["limiter", "#limit", "#in flight", "", "#queued", "#min rtt", "#rtt", "#admitted", "#rejected"], snap.limiters.map(l =>
      el("tr", {"data-limiter": l.name},
        el("td", {}, el("span", {class: "chip"}, l.name), l.standing ? el("span", {class: "badge down"}, "standing queue") : null),
        num(l.limit, {class: "num limit"}), num(l.in_flight), el("td", {}, meter(l.in_flight, l.limit)),
        num(l.queued), num(ms(l.min_rtt_ms)), num(ms(l.rtt_ms)), num(l.admitted), num(l.rejected)))));
}

function renderJobs(snap) {
  const j = snap.jobs;
  if (j.error) {
    replace("jobs", el("p", {class: "reason", id: "jobs-error"}, j.error));
  } else {
    replace("jobs", j.queues.length === 0 ? el("p", {class: "dim"}, "no queues") :
      table(["queue", "#queued", "#running", "#succeeded", "#dead", "#cancelled", "concurrency in use", ""], j.queues.map(q =>
        el("tr", {"data-queue": q.name},
          el("td", {}, el("span", {class: "chip"}, q.name)),
          num(q.queued, {class: "num queued"}), num(q.running, {class: "num running"}), num(q.succeeded, {class: "num succeeded"}),
          num(q.dead, {class: "num dead" + (q.dead > 0 ? " down" : "")}), num(q.cancelled, {class: "num cancelled"}),
          el("td", {class: "in-use"}, q.in_use + " / " + q.concurrency),
          el("td", {}, meter(q.in_use, q.concurrency))))));
  }
  const total = j.queues.reduce((n, q) => n + q.dead, 0);
  if (j.dead.length === 0) {
    replace("dead", el("p", {class: "dim"}, j.error ? "" : "none"));
    return;
  }
  const more = total > j.dead.length ?
    [el("p", {class: "dim"}, "the oldest " + j.dead.length + " of " + total + " shown; all: GET /jobs/dead?limit=1000")] : [];
  replace("dead", ...more,
    table(["#job", "queue", "#attempts", "last error", "died", ""], j.dead.map(d =>
      el("tr", {"data-dead-job": d.id},
        num(d.id),
        el("td", {}, el("span", {class: "chip"}, d.queue)),
        num(d.attempts, {class: "num attempts"}),
        el("td", {class: "reason"}, d.last_error),
        el("td", {class: "died", title: d.died_at}, new Date(d.died_at).toLocaleString()),
        el("td", {}, replayButton(d))))));
}

// replayButton posts the dead job's replay to the admin API (answered with
// the job, or a problem document); the next snapshot takes the job off the
// list.
function replayButton(d) {
  const b = el("button", {type: "button", class: "replay"}, "Replay");
  b.addEventListener("click", () => {
    b.disabled = true;
    const msg = document.getElementById("jobs-message");
    fetch(d.replay, {method: "POST", cache: "no-store"})
      .then(r => r.text().then(text => {
        let body = {};
        try { body = JSON.parse(text); } catch (e) { body = {detail: text.trim()}; }
        if (r.ok) {
          msg.className = "up";
          msg.textContent = "job " + d.id + " queued again (" + body.state + ")";
        } else {
          msg.className = "reason";
          msg.textContent = "replay of job " + d.id + " refused: " + r.status + " " + (body.detail || body.title || "");
        }
      }))
      .catch(e => {
        msg.className = "reason";
        msg.textContent = "replay of job " + d.id + " failed: " + e.message;
        b.disabled = false;
      });
  });
  return b;
}

function render(snap) {
  renderServer(snap);
  renderTree(snap);
  renderRoutes(snap);
  renderBatchers(snap);
  renderUpstreams(snap);
  renderLimits(snap);
  renderJobs(snap);
  document.body.dataset.snapshot = snap.time;
  document.getElementById("status").textContent = "updated " + new Date(snap.time).toLocaleTimeString();
  document.title = "troupe live";
}

function failed(why) {
  document.getElementById("status").textContent = why;
}

// The first snapshot comes from /api/state, the rest from the stream,
// which the browser reconnects by itself when it breaks.
fetch("/api/state", {cache: "no-store"})
  .then(r => r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)))
  .then(render)
  .catch(e => failed("could not load /api/state: " + e.message))
  .finally(() => {
    if (new URLSearchParams(location.search).has("static")) return;
    const es = new EventSource("/api/events");
    es.addEventListener("state", e => render(JSON.parse(e.data)));
    es.onerror = () => failed("disconnected; reconnecting…");
  });
