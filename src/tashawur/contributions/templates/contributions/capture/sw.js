{% autoescape off %}/* Tashawur's offline capture: the service worker of /capture/ (contributions/capture_views.py).
 * Pages under /capture/: network first, each successful one kept, the kept copy when the network
 * fails. Static files: cache first. Anything but GET (the API's POSTs) is never touched. */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "tashawur-capture-" + VERSION;
const PRECACHE = {{ precache_json }};
const STATIC_PREFIX = {{ static_prefix_json }};
const HOME = {{ home_json }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(PRECACHE);
      // The list of round tables, when signed in (a sign-in page is not kept).
      try {
        const response = await fetch(HOME, { credentials: "same-origin" });
        if (response.ok && !response.redirected) await cache.put(HOME, response);
      } catch (error) {
        /* offline at install: the page is kept on the next visit */
      }
    }).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(
      names.filter((name) => name.startsWith("tashawur-capture-") && name !== CACHE)
        .map((name) => caches.delete(name))
    )).then(() => self.clients.claim())
  );
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(request, response.clone());
    } else if (response.redirected && /\/login\/$/.test(new URL(response.url).pathname)) {
      // Signed out: the kept pages (a facilitator's list of speakers) leave the phone.
      const kept = await cache.keys();
      await Promise.all(kept.filter((entry) => !new URL(entry.url).pathname.startsWith(STATIC_PREFIX))
        .map((entry) => cache.delete(entry)));
    }
    return response;
  } catch (error) {
    const kept = (await cache.match(request, { ignoreVary: true }))
      || (await cache.match(HOME, { ignoreVary: true }));
    if (kept) return kept;
    throw error;
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: false });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(HOME)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(asset(request));
  }
});
{% endautoescape %}
