// app.js — the web view's logic (docs/web.md): polls the daemon's read-only
// JSON API every second and redraws the tables. Rates are computed here,
// from the difference of two polls of the counters, so the daemon keeps no
// history for the page. Plain DOM, no framework; every value from the daemon
// goes in as text, never as HTML.
"use strict";

const POLL_MS = 1000;
const previous = new Map(); // "switch/port" -> {t, counters}
let fdbRows = [];
let failingSince = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

// Replaces a table's rows; an empty table says so in one row.
function fill(tbody, rows, empty) {
  if (!rows.length && empty) {
    const span = tbody.parentElement.querySelectorAll("thead th").length;
    rows = [el("tr", { class: "empty" }, el("td", { colspan: span }, empty))];
  }
  tbody.replaceChildren(...rows);
}

async function api(path) {
  const r = await fetch("/api/v1/" + path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function human(n) {
  const units = ["", "k", "M", "G", "T"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return (i ? n.toFixed(1) : Math.round(n)) + units[i];
}

function sumDrops(c) {
  return Object.values(c.drops || {}).reduce((a, b) => a + b, 0);
}

// The per-second rates of a port since the last poll ("" on the first).
function rates(key, counters, now) {
  const before = previous.get(key);
  previous.set(key, { t: now, c: counters });
  if (!before || now <= before.t) return ["", "", "", ""];
  const dt = (now - before.t) / 1000;
  const per = (field, scale) => human(Math.max(0, counters[field] - before.c[field]) * scale / dt);
  return [per("rx_packets", 1), per("rx_bytes", 8), per("tx_packets", 1), per("tx_bytes", 8)];
}

function uplinkText(p) {
  if (!p.uplink) return "";
  return p.active_uplink ? "uplink (active)" : "uplink (standby)";
}

function drawSwitches(show) {
  fill(document.querySelector("#switches tbody"), show.switches.map((s) =>
    el("tr", { "data-switch": s.name }, el("td", {}, s.name), el("td", {}, s.mode),
       el("td", {}, s.mtu), el("td", {}, s.fdb_entries + " / " + s.fdb_capacity),
       el("td", {}, s.ports.length))));
}

function drawPorts(show) {
  const now = performance.now();
  const rows = [];
  for (const s of show.switches) {
    for (const p of s.port_details || []) {
      const c = p.counters;
      const [rxp, rxb, txp, txb] = rates(s.name + "/" + p.name, c, now);
      const cell = (field, v, cls) => el("td", { "data-field": field, class: cls || "" }, v);
      rows.push(el("tr", { "data-port": p.name, "data-switch": s.name },
        cell("name", p.name), cell("switch", s.name), cell("type", p.type),
        cell("link", p.carrier ? "up" : "down", p.carrier ? "up" : "down"),
        cell("pvid", p.pvid || "none"), cell("vids", p.vids || ""),
        cell("uplink", uplinkText(p), p.active_uplink ? "active" : ""),
        cell("rx_pps", rxp, "num"), cell("rx_bps", rxb, "num"),
        cell("tx_pps", txp, "num"), cell("tx_bps", txb, "num"),
        cell("rx_packets", c.rx_packets, "num"), cell("tx_packets", c.tx_packets, "num"),
        cell("drops", sumDrops(c), "num")));
    }
  }
  fill(document.querySelector("#ports tbody"), rows);
}

// One matrix per switch, as the seed's figure draws the hypervisor switch:
// a row per port, a column per VLAN, each cell untagged, tagged or empty,
// and the port that carries the VLAN off the host marked.
function drawVlans(show, vlans) {
  const out = [];
  for (const s of show.switches) {
    const mine = vlans.filter((v) => v.switch === s.name).sort((a, b) => a.vlan - b.vlan);
    const head = el("tr", {}, el("th", {}, "port"),
      ...mine.map((v) => el("th", { "data-vlan": v.vlan }, "VLAN " + v.vlan)));
    const body = (s.port_details || []).map((p) => el("tr", { "data-port": p.name },
      el("th", {}, p.name + (p.uplink ? " ⇅" : "")),
      ...mine.map((v) => {
        const kind = v.untagged.includes(p.name) ? "untagged"
          : v.tagged.includes(p.name) ? "tagged" : "none";
        const active = v.active_uplink === p.name;
        return el("td", {
          class: "cell " + kind + (active ? " active-uplink" : ""),
          "data-port": p.name, "data-vlan": v.vlan, "data-membership": kind,
          "data-active-uplink": active ? "true" : "false",
          title: p.name + ", VLAN " + v.vlan + ": " + kind + (active ? ", active uplink" : ""),
        }, kind === "untagged" ? "U" : kind === "tagged" ? "T" : "");
      })));
    out.push(el("div", { class: "matrix" }, el("h3", {}, "switch " + s.name),
      el("table", { class: "vlan-matrix", "data-switch": s.name },
        el("thead", {}, head), el("tbody", {}, ...body))));
  }
  document.getElementById("vlan-matrices").replaceChildren(...out);
}

function drawFdb() {
  const q = document.getElementById("mac-search").value.trim().toLowerCase();
  const shown = fdbRows.filter((r) => !q ||
    [r.mac, r.port, String(r.vlan), r.switch].some((f) => f.toLowerCase().includes(q)));
  fill(document.querySelector("#fdb tbody"), shown.map((r) =>
    el("tr", { "data-mac": r.mac }, el("td", {}, r.switch), el("td", {}, r.vlan),
       el("td", { class: "mono" }, r.mac), el("td", {}, r.port), el("td", {}, r.type),
       el("td", { class: "num" }, r.age === undefined ? "" : r.age))),
    fdbRows.length ? "no entry matches" : "no entries");
  document.getElementById("mac-count").textContent =
    shown.length + " of " + fdbRows.length + " entries";
}

function drawSeas(show) {
  fill(document.querySelector("#seas tbody"), (show.seas || []).map((s) => {
    const last = (s.history || [])[s.history ? s.history.length - 1 : 0];
    return el("tr", { "data-sea": s.name }, el("td", {}, s.name), el("td", {}, s.switch),
      el("td", { class: "role-" + s.role }, s.role), el("td", {}, s.why),
      el("td", {}, s.health), el("td", { class: "num" }, s.transitions),
      el("td", {}, last ? last.time + "  " + last.from + " → " + last.to + ": " + last.why : ""));
  }), "no SEA on this daemon");
}

function drawBonds(bonds) {
  fill(document.querySelector("#bonds tbody"), bonds.map((b) =>
    el("tr", { "data-bond": b.name }, el("td", {}, b.name), el("td", {}, b.switch),
       el("td", {}, b.active || "none"), el("td", { class: "num" }, b.failovers),
       el("td", {}, b.last_change || ""), el("td", {}, b.last_cause || ""))),
    "no bond on this daemon");
}

// The sections below exist only when there is something to show; a daemon
// whose route fails (an older one) just shows none of them.
function showSection(id, tbody, rows) {
  document.getElementById(id).hidden = !rows.length;
  fill(document.querySelector(tbody), rows);
}

function drawLldp(ports) {
  const rows = [];
  for (const p of ports) {
    for (const n of p.neighbors || []) {
      rows.push(el("tr", { "data-port": p.port, "data-chassis": n.chassis_id },
        el("td", {}, p.port), el("td", {}, p.switch), el("td", { class: "mono" }, n.chassis_id),
        el("td", { class: "mono" }, n.port_id), el("td", {}, n.system_name),
        el("td", { class: "num" }, n.ttl), el("td", { class: "num" }, n.ttl_left)));
    }
  }
  showSection("lldp-section", "#lldp tbody", rows);
}

// A group's router ports: those learned on its VLAN and the configured ones.
function routerPorts(s, vlan) {
  return (s.routers || []).filter((r) => r.configured || r.vlan === vlan).map((r) => r.port);
}

function drawMcast(switches) {
  const rows = [];
  for (const s of switches) {
    const groups = (s.groups || []).slice().sort((a, b) => a.vlan - b.vlan ||
      a.group.localeCompare(b.group));
    for (const g of groups) {
      rows.push(el("tr", { "data-switch": s.switch, "data-vlan": g.vlan, "data-group": g.group },
        el("td", {}, s.switch), el("td", {}, g.vlan), el("td", { class: "mono" }, g.group),
        el("td", { "data-field": "members" }, g.members.map((m) => m.port).join(", ")),
        el("td", { "data-field": "routers" }, routerPorts(s, g.vlan).join(", "))));
    }
  }
  showSection("mcast-section", "#mcast tbody", rows);
}

function drawIpfix(exporters) {
  showSection("ipfix-section", "#ipfix tbody", exporters.map((x) =>
    el("tr", { "data-exporter": x.name }, el("td", {}, x.name), el("td", {}, x.switch),
       el("td", { class: "mono" }, x.collector),
       el("td", { class: "num" }, x.flows + " / " + x.max_flows),
       el("td", { class: "num" }, x.records), el("td", { class: "num" }, x.messages),
       el("td", { class: "num" }, x.refused), el("td", { class: "num" }, x.dropped))));
}

function setStatus(ok, message) {
  const s = document.getElementById("status");
  s.dataset.state = ok ? "live" : "unreachable";
  s.textContent = message;
  document.getElementById("main").classList.toggle("stale", !ok);
}

async function poll() {
  try {
    // One request first: a daemon that is gone costs one failed fetch a
    // second, not one per table.
    const show = await api("show");
    const optional = (path) => api(path).catch(() => []);
    const [vlans, bonds, lldp, mcast, ipfix, ...fdbs] = await Promise.all([api("vlans"),
      api("bonds"), optional("lldp"), optional("mcast"), optional("ipfix"),
      ...show.switches.map((s) => api("fdb/" + encodeURIComponent(s.name)).then((rows) =>
        rows.map((r) => Object.assign({ switch: s.name }, r))))]);
    fdbRows = fdbs.flat().sort((a, b) => a.switch.localeCompare(b.switch) ||
      a.vlan - b.vlan || a.mac.localeCompare(b.mac));
    drawSwitches(show);
    drawPorts(show);
    drawVlans(show, vlans);
    drawFdb();
    drawSeas(show);
    drawBonds(bonds);
    drawLldp(lldp);
    drawMcast(mcast);
    drawIpfix(ipfix);
    failingSince = null;
    setStatus(true, "live · " + new Date().toLocaleTimeString());
  } catch (e) {
    failingSince = failingSince || new Date();
    setStatus(false, "vswitchd unreachable since " + failingSince.toLocaleTimeString() +
      " (" + e.message + "); retrying");
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById("mac-search").addEventListener("input", drawFdb);
poll();
