/* The grid worker page's service worker: the page and its scripts open with no connection.
 *
 * Network first, so an online phone always sees the server's page; each good answer is kept,
 * and when the network fails the kept copy is served instead. Only GETs of the worker page
 * and of the app's own assets are touched: records (POST /screenings) always go to the
 * network, and worker.js keeps them queued on the phone until one is answered. */
"use strict";

var CACHE = "gridrisk-worker-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin) return;
    if (url.pathname !== "/pages/worker" && url.pathname.indexOf("/assets/") !== 0) return;
    event.respondWith(fetch(request).then(function (response) {
        if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
    }).catch(function () {
        return caches.match(request).then(function (kept) { return kept || Response.error(); });
    }));
});
