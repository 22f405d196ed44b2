/* Rumours service worker: the app shell, the phone form and the rumour pocket list
   load without a connection after the first visit. Writes are never cached here:
   the page's outbox (IndexedDB) keeps unsent conversations. */
'use strict';
var VERSION = 'v5';
var SHELL = 'rumours-shell-' + VERSION;
var PAGES = 'rumours-pages-' + VERSION;
var SHELL_FILES = [
  '/static/app.css', '/static/js/shell.js', '/static/js/encounter-form.js',
  '/static/favicon.svg', '/static/icon.svg', '/manifest.webmanifest'
];
/* Pages kept for offline use when they exist for this user (the catalogue's pocket
   list and its JSON twin may not be deployed yet: a miss is fine). */
var OFFLINE_PAGES = ['/encounters/new', '/rumours/pocket', '/api/v1/rumours', '/offline'];
/* The language the kept offline page is in (pages say theirs in Content-Language). */
var offlineLanguage = null;

function keep(cache, url, response) {
  if (response && response.ok && !response.redirected && response.type === 'basic') {
    return cache.put(url, response.clone()).then(function () { return response; });
  }
  return Promise.resolve(response);
}

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
      .then(function () { return caches.open(PAGES); })
      .then(function (cache) { return Promise.all(OFFLINE_PAGES.map(fetchAndKeep(cache))); })
      .then(function () { return self.skipWaiting(); })
  );
});

function fetchAndKeep(cache) {
  return function (url) {
    // Marked as background: its answer never rewrites the session cookie.
    return fetch(url, { credentials: 'same-origin', headers: { 'X-Rumours-Background': '1' } })
      .then(function (response) { return keep(cache, url, response); })
      .catch(function () {});
  };
}

/* When each offline page was last asked for on a page's behalf, so that a page this
   agent cannot have (a 403) is not asked for again on every page they open. */
var askedAt = {};
var ASK_AGAIN_AFTER = 5 * 60 * 1000;

function keepMissingPages() {
  // An agent's page asks for this: the worker may have installed while they were signed
  // out (every offline page a redirect to the login), or logging out emptied the caches.
  return caches.open(PAGES).then(function (cache) {
    var fetchOne = fetchAndKeep(cache);
    return Promise.all(OFFLINE_PAGES.map(function (url) {
      return cache.match(url, { ignoreVary: true }).then(function (kept) {
        var now = Date.now();
        if (kept || now - (askedAt[url] || 0) < ASK_AGAIN_AFTER) { return null; }
        askedAt[url] = now;
        return fetchOne(url);
      });
    }));
  });
}

self.addEventListener('message', function (event) {
  if (event.data === 'keep-offline-pages') { event.waitUntil(keepMissingPages()); }
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf('rumours-') === 0 && key !== SHELL && key !== PAGES;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  // The kept /offline page, in the reader's language; a bare fallback before it exists.
  return caches.match('/offline', { ignoreVary: true }).then(function (kept) {
    return kept || new Response(
      '<!doctype html><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<link rel="stylesheet" href="/static/app.css"><title>Rumours</title>' +
      '<main class="page"><h1>&#9888;&#65039;</h1>' +
      '<p><a class="button button-primary" href="/encounters/new">&#9998;</a></p></main>',
      { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } }
    );
  });
}

function keepOfflinePageIn(response) {
  // When the reader's language changes, fetch the offline page again in the new one.
  var language = response.headers.get('Content-Language');
  if (!language || language === offlineLanguage) { return Promise.resolve(); }
  offlineLanguage = language;
  return caches.open(PAGES).then(function (cache) {
    return fetch('/offline', { credentials: 'same-origin', headers: { 'X-Rumours-Background': '1' } })
      .then(function (fresh) { return keep(cache, '/offline', fresh); });
  }).catch(function () { offlineLanguage = null; });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  var path = url.pathname;

  if (SHELL_FILES.indexOf(path) !== -1) {
    // Stale while revalidate: instant from the cache, refreshed in the background.
    event.respondWith(caches.open(SHELL).then(function (cache) {
      return cache.match(path, { ignoreSearch: true }).then(function (cached) {
        var network = fetch(request).then(function (response) {
          return keep(cache, path, response);
        });
        if (cached) {
          event.waitUntil(network.catch(function () {}));
          return cached;
        }
        return network;
      });
    }));
    return;
  }

  if (OFFLINE_PAGES.indexOf(path) !== -1 || request.mode === 'navigate') {
    // Network first, so agents see fresh data; the kept copy when offline.
    event.respondWith(
      fetch(request).then(function (response) {
        if (request.mode === 'navigate' && response.ok) {
          event.waitUntil(keepOfflinePageIn(response));
        }
        if (OFFLINE_PAGES.indexOf(path) !== -1) {
          return caches.open(PAGES).then(function (cache) { return keep(cache, path, response); });
        }
        return response;
      }).catch(function () {
        return caches.match(path, { ignoreSearch: true, ignoreVary: true }).then(function (cached) {
          return cached || (request.mode === 'navigate' ? offlinePage() : Response.error());
        });
      })
    );
  }
});
