/* Rumours app shell: service worker, the offline outbox (IndexedDB) and its sync,
   and clearing local data at logout. No framework; loaded with defer. */
(function () {
  'use strict';
  var API = '/api/v1/encounters';
  var TOKEN_URL = '/api/v1/csrf-token';
  var STORE = 'outbox';
  var MAX_DELAY = 5 * 60 * 1000;
  var channel = 'BroadcastChannel' in self ? new BroadcastChannel('rumours-outbox') : null;
  var dbPromise = null;
  var timer = null;
  var needsLogin = false;
  var sending = false;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
    // An agent's pages: have the worker keep whatever offline page it is missing, so the
    // form opens offline even when they never opened it online since signing in.
    if (document.querySelector('a[href="/encounters/new"]')) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) { registration.active.postMessage('keep-offline-pages'); }
      }).catch(function () {});
    }
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open('rumours', 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: 'client_uuid' });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = action(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var store = {
    all: function () { return run('readonly', function (s) { return s.getAll(); }); },
    get: function (id) { return run('readonly', function (s) { return s.get(id); }); },
    put: function (record) { return run('readwrite', function (s) { return s.put(record); }); },
    remove: function (id) { return run('readwrite', function (s) { return s.delete(id); }); },
    clear: function () { return run('readwrite', function (s) { return s.clear(); }); }
  };

  /* One lock per record: two tabs never send the same draft at once. */
  function withLock(name, work) {
    if (navigator.locks) {
      return navigator.locks.request(name, work);
    }
    return work();
  }

  function changed() {
    if (channel) { channel.postMessage('changed'); }
    render();
  }

  function freshToken() {
    return fetch(TOKEN_URL, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) { throw new Error('token'); }
        return response.json();
      })
      .then(function (body) { return body.csrf_token; });
  }

  function problem(body) {
    var parts = [];
    var fields = (body && body.fields) || {};
    Object.keys(fields).forEach(function (name) { parts = parts.concat(fields[name]); });
    return parts.length ? parts.join(' ') : (body && body.error) || '';
  }

  function later(record, error) {
    record.attempts = (record.attempts || 0) + 1;
    var delay = Math.min(MAX_DELAY, 5000 * Math.pow(2, record.attempts - 1));
    record.next = Date.now() + delay * (0.8 + Math.random() * 0.4);
    record.error = error || null;
    return store.put(record).then(function () { return { result: 'queued' }; });
  }

  /* Send one record (under its lock, re-read inside it). Resolves to
     {result: 'sent'|'queued'|'invalid'|'gone', body}. */
  function sendOne(id, token) {
    return withLock('rumours-outbox-' + id, function () {
      return store.get(id).then(function (record) {
        if (!record || record.state === 'stuck') { return { result: 'gone' }; }
        var tokenPromise = token ? Promise.resolve(token) : freshToken();
        return tokenPromise.then(function (csrf) {
          return fetch(API, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
            body: JSON.stringify(record.payload)
          });
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            if (response.status === 200 || response.status === 201) {
              needsLogin = false;
              return store.remove(id).then(function () { return { result: 'sent', body: body }; });
            }
            if (response.status === 401) {
              needsLogin = true;
              return later(record, body.error);
            }
            if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
              record.state = 'stuck';
              record.error = problem(body);
              return store.put(record).then(function () { return { result: 'invalid', body: body }; });
            }
            return later(record, body.error);
          });
        }, function () {
          return later(record, null);
        });
      });
    });
  }

  function schedule(records) {
    clearTimeout(timer);
    var due = records.filter(function (r) { return r.state !== 'stuck'; })
      .map(function (r) { return r.next || 0; });
    if (due.length) {
      timer = setTimeout(sync, Math.max(1000, Math.min.apply(null, due) - Date.now()));
    }
  }

  /* Send every waiting record that is due (all of them when `now`); one tab at a time. */
  function sync(now) {
    var work = function (lock) {
      if (lock === null) { return null; }
      return store.all().then(function (records) {
        var due = records.filter(function (r) {
          return r.state !== 'stuck' && (now === true || !r.next || r.next <= Date.now());
        });
        if (!due.length) { return null; }
        sending = true;
        render();
        return freshToken().then(function (token) {
          return due.reduce(function (chain, record) {
            return chain.then(function () { return sendOne(record.client_uuid, token); });
          }, Promise.resolve());
        }, function () {
          return Promise.all(due.map(function (r) { return later(r, null); }));
        });
      });
    };
    var done = navigator.locks
      ? navigator.locks.request('rumours-outbox-sync', { ifAvailable: true }, work)
      : work();
    return Promise.resolve(done).catch(function () {}).then(function () {
      sending = false;
      changed();
      return store.all().then(schedule);
    });
  }

  function add(payload, summary) {
    var record = {
      client_uuid: payload.client_uuid, payload: payload, summary: summary || '', created: Date.now(),
      attempts: 0, next: 0, state: 'waiting', error: null
    };
    return store.put(record).then(function () { changed(); return record; });
  }

  function retry(id) {
    return store.get(id).then(function (record) {
      if (!record) { return null; }
      record.state = 'waiting';
      record.next = 0;
      record.error = null;
      return store.put(record).then(function () { return sendOne(id); });
    }).then(function () { changed(); });
  }

  function remove(id) {
    return store.remove(id).then(changed);
  }

  /* The outbox panel, on pages that have one. */
  function render() {
    var panel = document.getElementById('outbox');
    if (!panel) { return Promise.resolve(); }
    return store.all().then(function (records) {
      var count = records.length;
      panel.hidden = count === 0;
      document.getElementById('outbox-count').textContent = String(count);
      var label = document.getElementById('outbox-label');
      label.textContent = count === 1 ? label.dataset.one : label.dataset.many;
      var state = document.getElementById('outbox-state');
      state.textContent = !navigator.onLine ? state.dataset.offline
        : needsLogin ? state.dataset.login : sending ? state.dataset.sending : '';
      var list = document.getElementById('outbox-list');
      list.textContent = '';
      records.sort(function (a, b) { return a.created - b.created; }).forEach(function (record) {
        var item = document.createElement('li');
        item.className = 'outbox-item' + (record.state === 'stuck' ? ' outbox-stuck' : '');
        var text = document.createElement('p');
        var when = new Date(record.payload.occurred_at);
        text.textContent = when.toLocaleString(document.documentElement.lang || [], { weekday: 'short', hour: '2-digit', minute: '2-digit' }) +
          (record.summary ? ' · ' + record.summary : '') +
          (record.state === 'stuck' ? ' — ' + list.dataset.stuck + ' ' + (record.error || '') : '');
        item.appendChild(text);
        var actions = record.state === 'stuck' ? [['retry', retry], ['delete', remove]] : [['delete', remove]];
        actions.forEach(function (pair) {
          var button = document.createElement('button');
          button.type = 'button';
          button.className = 'button button-small' + (pair[0] === 'delete' ? ' button-quiet' : '');
          button.textContent = list.dataset[pair[0]];
          button.addEventListener('click', function () {
            if (pair[0] === 'delete' && !window.confirm(list.dataset.confirmDelete)) { return; }
            pair[1](record.client_uuid);
          });
          item.appendChild(button);
        });
        list.appendChild(item);
      });
    }).catch(function () {});
  }

  /* Logout clears this phone's outbox and cached pages, after a warning if anything is unsent. */
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches('form[action="/auth/logout"]') || form.dataset.cleared) { return; }
    event.preventDefault();
    store.all().catch(function () { return []; }).then(function (records) {
      var meta = document.querySelector('meta[name="rumours-logout-warning"]');
      var message = (meta ? meta.content : 'Unsent conversations on this phone: {n}. ' +
        'Logging out deletes them. Log out anyway?').replace('{n}', records.length);
      if (records.length && !window.confirm(message)) {
        return;
      }
      var clearing = [store.clear().catch(function () {})];
      if (window.caches) {
        clearing.push(caches.keys().then(function (keys) {
          return Promise.all(keys.filter(function (k) { return k.indexOf('rumours-') === 0; })
            .map(function (k) { return caches.delete(k); }));
        }).catch(function () {}));
      }
      Promise.all(clearing).then(function () {
        if (channel) { channel.postMessage('changed'); }
        form.dataset.cleared = '1';
        form.submit();
      });
    });
  });

  if (channel) { channel.onmessage = function () { render(); }; }
  window.addEventListener('online', function () { sync(true); });
  window.addEventListener('offline', render);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { sync(); }
  });
  var outboxSend = document.getElementById('outbox-send');
  if (outboxSend) { outboxSend.addEventListener('click', function () { sync(true); }); }

  window.RumoursOutbox = { add: add, sendOne: sendOne, sync: sync, all: store.all, remove: remove, render: render };
  render();
  sync();
})();

// On a phone the navigation is one row that scrolls sideways: bring the current page's
// entry into view.
(function () {
  var current = document.querySelector('.nav [aria-current="page"]');
  if (current && current.scrollIntoView) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
