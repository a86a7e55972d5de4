/* The grid worker's page: screenings logged in two taps, kept in a queue on the phone and sent
 * to POST /screenings when the connection allows.
 *
 * Each record gets its record_id when it is made, before any send, and keeps it: a send that
 * fails half-way (the server stored it, the answer was lost) is sent again with the same id,
 * and the server answers with the first record instead of making a second one.
 * A record leaves the queue on 200/201 (stored), or on a refusal (4xx but 401, 403, 408 and
 * 429: shown with the problem's detail); on no network or 5xx it stays, and the queue is
 * sent again on the "online" event, on every page load and every RETRY_MS. */
(function () {
    "use strict";

    var QUEUE_KEY = "gridrisk.screenings.queue";
    var LOG_KEY = "gridrisk.screenings.log";
    var LOG_SIZE = 20;
    var RETRY_MS = 15000;
    var DOUBLE_TAP_MS = 2000;
    var KEEP = {401: true, 403: true, 408: true, 429: true};  // not the record's fault

    var config = JSON.parse(document.getElementById("worker-config").textContent);
    var t = config.text;
    var sending = false;
    var again = false;

    // -- ids ------------------------------------------------------------------------------

    function newId() {
        if (window.crypto && typeof window.crypto.randomUUID === "function") {
            return window.crypto.randomUUID();  // secure contexts only (https, 127.0.0.1)
        }
        var bytes = new Uint8Array(16);
        if (window.crypto && window.crypto.getRandomValues) {
            window.crypto.getRandomValues(bytes);  // also on plain http
        } else {
            for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
        var hex = Array.prototype.map.call(bytes, function (b) {
            return (b + 0x100).toString(16).slice(1);
        }).join("");
        return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
                hex.slice(20)].join("-");
    }

    // -- storage --------------------------------------------------------------------------

    function read(key) {
        try {
            var value = JSON.parse(window.localStorage.getItem(key));
            return Array.isArray(value) ? value : [];
        } catch (e) {
            return [];
        }
    }

    function write(key, value) {
        window.localStorage.setItem(key, JSON.stringify(value));
    }

    function queue() { return read(QUEUE_KEY); }

    function unqueue(recordId) {
        write(QUEUE_KEY, queue().filter(function (r) { return r.record_id !== recordId; }));
    }

    function logged(record, status, detail) {
        var log = read(LOG_KEY).filter(function (e) { return e.record_id !== record.record_id; });
        log.unshift({record_id: record.record_id, cell_code: record.cell_code,
                     found: record.found, screened_at: record.screened_at,
                     status: status, detail: detail || ""});
        write(LOG_KEY, log.slice(0, LOG_SIZE));
    }

    // -- showing --------------------------------------------------------------------------

    function show() {
        var n = queue().length;
        var status = document.getElementById("queue-status");
        status.textContent = n ? t.queue.replace("{n}", n) : t.queue_empty;
        status.setAttribute("data-count", String(n));
        status.className = "queue" + (n ? " waiting" : "");
        document.getElementById("offline-note").hidden = !(n && navigator.onLine === false);
        var list = document.getElementById("recent-list");
        list.textContent = "";
        read(LOG_KEY).forEach(function (entry) {
            var item = document.createElement("li");
            item.className = "record " + entry.status;
            item.setAttribute("data-record-id", entry.record_id);
            var cell = config.cells[entry.cell_code];
            var when = new Date(entry.screened_at);
            var words = [when.toLocaleString(config.lang === "zh" ? "zh-CN" : "en"),
                         cell ? cell.name : entry.cell_code,
                         entry.found ? t.found_value : t.nothing_value,
                         t[entry.status] || entry.status];
            item.textContent = words.join(" · ") + (entry.detail ? "：" + entry.detail : "");
            list.appendChild(item);
        });
    }

    // -- sending --------------------------------------------------------------------------

    function record(fields) {
        var made = {record_id: newId(), screened_at: new Date().toISOString(),
                    worker: config.worker};
        Object.keys(fields).forEach(function (k) { made[k] = fields[k]; });
        var waiting = queue();
        waiting.push(made);
        write(QUEUE_KEY, waiting);  // stored before the first send: the id never changes
        logged(made, "queued");
        show();
        send();
    }

    // the session cookie is HttpOnly; its CSRF companion is for this page's script to send
    // back, which another site's page cannot read
    function csrfToken() {
        var found = document.cookie.split("; ").filter(function (c) {
            return c.indexOf("gridrisk_csrf=") === 0;
        })[0];
        return found ? decodeURIComponent(found.slice("gridrisk_csrf=".length)) : "";
    }

    function send() {
        if (sending) {
            again = true;
            return;
        }
        var waiting = queue();
        if (!waiting.length) return;
        sending = true;
        var next = waiting[0];
        fetch("/screenings", {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "Accept": "application/json",
                      "X-CSRF-Token": csrfToken()},
            body: JSON.stringify(next)
        }).then(function (response) {
            if (response.ok) {
                unqueue(next.record_id);
                logged(next, "sent");
                return true;
            }
            if (response.status >= 400 && response.status < 500 && !KEEP[response.status]) {
                return response.json().catch(function () { return {}; }).then(function (p) {
                    unqueue(next.record_id);
                    logged(next, "rejected", p.detail || p.title || String(response.status));
                    return true;
                });
            }
            if (response.status === 401 || response.status === 403) {
                logged(next, "sign_in_needed");
            }
            return false;  // 5xx and the like: keep it, try later
        }, function () {
            return false;  // no network: keep it
        }).then(function (goOn) {
            sending = false;
            again = false;
            show();
            if (goOn) send();  // the next one; after a failure, wait for a reason to retry
        });
    }

    // -- the cells: tap one, then tap "nothing found" --------------------------------------

    var picked = null;

    function pick(card) {
        Array.prototype.forEach.call(document.querySelectorAll(".cell-card"), function (c) {
            var open = c === card && !c.classList.contains("picked");
            c.classList.toggle("picked", open);
            c.querySelector(".cell-actions").hidden = !open;
            c.querySelector(".cell-pick").setAttribute("aria-expanded", String(open));
        });
        picked = card.classList.contains("picked") ? card.getAttribute("data-cell") : null;
    }

    Array.prototype.forEach.call(document.querySelectorAll(".cell-card"), function (card) {
        var code = card.getAttribute("data-cell");
        card.querySelector(".cell-pick").addEventListener("click", function () { pick(card); });
        card.querySelector(".nothing-found").addEventListener("click", function (event) {
            var button = event.currentTarget;
            button.disabled = true;  // a double tap is one screening, not two
            window.setTimeout(function () { button.disabled = false; }, DOUBLE_TAP_MS);
            record({cell_code: code, found: false});
            var last = card.querySelector(".last");
            if (last) last.textContent = new Date().toISOString().slice(0, 10);
        });
        card.querySelector(".dispute-open").addEventListener("click", function () {
            openDispute(code);
        });
    });

    // -- a dispute: what, how serious, who, where -----------------------------------------

    var form = document.getElementById("dispute-form");
    var section = document.getElementById("dispute");
    var map = null;
    var marker = null;

    function setPosition(lat, lon, how) {
        form.elements.lon.value = lon.toFixed(6);
        form.elements.lat.value = lat.toFixed(6);
        document.getElementById("position-text").textContent =
            lat.toFixed(5) + ", " + lon.toFixed(5) + (how ? " (" + how + ")" : "");
        if (map) {
            if (marker) marker.setLatLng([lat, lon]);
            else marker = L.circleMarker([lat, lon], {radius: 8, color: "#b2182b",
                                                      fillOpacity: 0.8}).addTo(map);
        }
    }

    function clearPosition() {
        form.elements.lon.value = "";
        form.elements.lat.value = "";
        document.getElementById("position-text").textContent = t.no_position;
        if (marker) {
            marker.remove();
            marker = null;
        }
    }

    function ensureMap() {
        if (map || typeof L === "undefined") return;
        map = L.map("dispute-map", {zoomControl: true, attributionControl: !!config.tile_url});
        if (config.tile_url) {
            L.tileLayer(config.tile_url, {attribution: config.tile_attribution,
                                          maxZoom: 18}).addTo(map);
        }
        L.geoJSON(config.outlines, {
            style: {color: "#2166ac", weight: 2, fillOpacity: 0.08},
            interactive: false
        }).addTo(map);
        map.on("click", function (e) { setPosition(e.latlng.lat, e.latlng.lng, ""); });
    }

    function openDispute(code) {
        form.reset();
        form.elements.cell_code.value = code;
        var cell = config.cells[code];
        document.getElementById("dispute-cell").textContent = cell ? cell.name : code;
        section.hidden = false;
        ensureMap();
        clearPosition();
        if (map && cell) {
            var layer = null;
            config.outlines.features.forEach(function (f) {
                if (f.properties.cell_code === code) layer = L.geoJSON(f);
            });
            map.invalidateSize();
            if (layer) map.fitBounds(layer.getBounds(), {padding: [10, 10]});
            else map.setView([cell.lat, cell.lon], 16);
        }
        section.scrollIntoView({behavior: "smooth", block: "start"});
    }

    document.getElementById("dispute-cancel").addEventListener("click", function () {
        section.hidden = true;
    });

    document.getElementById("locate").addEventListener("click", function () {
        var text = document.getElementById("position-text");
        if (!navigator.geolocation) {
            text.textContent = t.location_failed + "—";
            return;
        }
        text.textContent = t.locating;
        navigator.geolocation.getCurrentPosition(function (where) {
            // browsers report WGS84, which is what the record declares (crs "wgs84")
            setPosition(where.coords.latitude, where.coords.longitude, "GPS");
            if (map) map.setView([where.coords.latitude, where.coords.longitude], 17);
        }, function (failure) {
            text.textContent = t.location_failed + failure.message;
        }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });

    form.addEventListener("submit", function (event) {
        event.preventDefault();
        var f = form.elements;
        var fields = {cell_code: f.cell_code.value, found: true, category: f.category.value,
                      severity: form.querySelector("input[name=severity]:checked").value};
        if (f.parties.value) fields.parties = parseInt(f.parties.value, 10);
        if (f.outcome.value) fields.outcome = f.outcome.value;
        if (f.summary.value.trim()) fields.summary = f.summary.value.trim();
        if (f.lon.value && f.lat.value) {
            fields.lon = parseFloat(f.lon.value);
            fields.lat = parseFloat(f.lat.value);
            fields.crs = "wgs84";
        }
        record(fields);
        section.hidden = true;
        form.reset();
        clearPosition();
    });

    // -- when to send ---------------------------------------------------------------------

    window.addEventListener("online", send);
    window.addEventListener("offline", show);
    window.addEventListener("storage", function (e) {  // another tab changed the queue
        if (e.key === QUEUE_KEY || e.key === LOG_KEY) show();
    });
    window.setInterval(function () { if (queue().length) send(); }, RETRY_MS);
    // the page itself then opens with no connection (worker-sw.js); browsers allow this on
    // https and on localhost only, and the queue works without it
    if ("serviceWorker" in navigator && window.isSecureContext) {
        navigator.serviceWorker.register(config.service_worker, {scope: "/pages/"})
            .catch(function () {});
    }
    window.gridriskQueue = {send: send, length: function () { return queue().length; }};
    show();
    send();
}());
