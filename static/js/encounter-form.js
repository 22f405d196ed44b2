/* The phone form: defaults, rumour search, stepper, privacy check on notes, and
   saving through the outbox (sent at once when online, kept on the phone when not). */
(function () {
  'use strict';
  var form = document.querySelector('.log-form');
  if (!form) { return; }
  var $ = function (selector) { return form.querySelector(selector); };
  var timeEdited = false;

  /* The same checks as rumours/privacy.py, so an offline phone refuses a note at once. */
  var PRIVACY = [
    [/[^\s@]+@[^\s@]+\.[^\s@]{2,}/, 'e-mail'],
    [/\b(?:\d{8}|[XYZxyz][\s-]?\d{7})[\s-]?[A-Za-z]\b|\b(?=[A-Za-z0-9]*[A-Za-z])(?=(?:[A-Za-z]*\d){5})[A-Za-z0-9]{6,}\b/, 'id'],
    [/(?:\+|00)?\d(?:[\s.\-()]*\d){6,}/, 'phone']
  ];

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function localNow() {
    var d = new Date();
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function isoWithOffset(value) {
    var d = new Date(value);
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? '+' : '-';
    offset = Math.abs(offset);
    return value.slice(0, 16) + ':00' + sign + pad(Math.floor(offset / 60)) + ':' + pad(offset % 60);
  }

  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  /* Rumours: search box and "show all" (both need JS, so they start hidden). */
  var search = $('#rumour-search');
  var more = $('#more-rumours');
  var picks = Array.prototype.slice.call(form.querySelectorAll('.pick'));
  form.classList.add('js');
  if (search) { search.hidden = false; }
  if (more) {
    more.hidden = false;
    more.addEventListener('click', function () { form.classList.add('show-all'); more.hidden = true; });
  }
  if (search) {
    search.addEventListener('input', function () {
      var q = fold(search.value.trim());
      form.classList.toggle('searching', q !== '');
      picks.forEach(function (pick) {
        pick.classList.toggle('no-match', q !== '' && fold(pick.dataset.text).indexOf(q) === -1);
      });
    });
  }

  /* People reached: the stepper. */
  var people = $('#people_reached');
  form.querySelectorAll('.step').forEach(function (button) {
    button.addEventListener('click', function () {
      var n = (parseInt(people.value, 10) || 1) + parseInt(button.dataset.step, 10);
      people.value = String(Math.max(1, Math.min(500, n)));
    });
  });

  /* Where: neighbourhoods follow the district. */
  var district = $('#district');
  var hood = $('#neighbourhood');
  var allHoods = Array.prototype.slice.call(hood.options, 1);
  function filterHoods() {
    var keep = hood.value;
    while (hood.options.length > 1) { hood.remove(1); }
    allHoods.forEach(function (option) {
      if (option.dataset.district === district.value) { hood.appendChild(option); }
    });
    hood.value = keep;
    if (hood.value !== keep) { hood.value = ''; }
    summarise();
  }
  function summarise() {
    var summary = $('#context-summary');
    var time = $('#occurred_at');
    var campaign = $('#campaign');
    var parts = [timeEdited ? time.value.replace('T', ' ') : summary.dataset.now];
    parts.push(hood.value ? hood.options[hood.selectedIndex].text : district.options[district.selectedIndex].text);
    if (campaign.value) { parts.push(campaign.options[campaign.selectedIndex].text); }
    summary.textContent = parts.join(' · ');
  }
  district.addEventListener('change', filterHoods);
  hood.addEventListener('change', summarise);
  $('#campaign').addEventListener('change', summarise);
  $('#occurred_at').addEventListener('change', function () { timeEdited = true; summarise(); });

  /* Errors shown next to their field: every section holding one is opened, the first
     error is scrolled clear of the sticky Save bar, its field takes the focus, and the
     messages are announced to screen readers. */
  function markFields(list, invalid) {
    form.querySelectorAll('[name="' + list.dataset.errorsFor + '"]').forEach(function (input) {
      if (invalid) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', list.id);
      } else {
        input.removeAttribute('aria-invalid');
      }
    });
  }
  function revealErrors() {
    var shown = Array.prototype.filter.call(
      form.querySelectorAll('[data-errors-for]'), function (list) { return !list.hidden; });
    shown.forEach(function (list) {
      var section = list.closest('details');
      if (section) { section.open = true; }
      markFields(list, true);
    });
    if (!shown.length) { return; }
    var first = shown[0];
    var input = form.querySelector('[name="' + first.dataset.errorsFor + '"]');
    if (input) { input.focus({ preventScroll: true }); }
    first.scrollIntoView({ block: 'center' });
    var announce = $('#form-announce');
    if (announce) {
      announce.textContent = shown.map(function (list) { return list.textContent; }).join(' ');
    }
  }
  function showErrors(fields) {
    form.querySelectorAll('[data-errors-for]').forEach(function (list) {
      var messages = fields[list.dataset.errorsFor] || [];
      list.textContent = '';
      messages.forEach(function (m) {
        var item = document.createElement('li');
        item.textContent = m;
        list.appendChild(item);
      });
      list.hidden = messages.length === 0;
      markFields(list, messages.length > 0);
      var group = list.closest('.group');
      if (group) { group.classList.toggle('group-invalid', messages.length > 0); }
    });
    revealErrors();
  }
  // A form the server sent back with errors (no JavaScript needed to see them) gets the
  // same treatment once the page is loaded.
  revealErrors();

  var messages = form.dataset;
  function checkLocally() {
    var fields = {};
    var data = new FormData(form);
    var unlisted = (data.get('unlisted_rumour') || '').trim();
    if (!data.getAll('rumours').length && !unlisted) { fields.rumours = [messages.needRumour]; }
    if (!data.get('setting')) { fields.setting = [messages.needSetting]; }
    if (!data.get('outcome')) { fields.outcome = [messages.needOutcome]; }
    var n = Number(data.get('people_reached'));
    if (!(n >= 1 && n <= 500 && Math.floor(n) === n)) { fields.people_reached = [messages.needPeople]; }
    var notes = (data.get('notes') || '').trim();
    PRIVACY.forEach(function (pair) {
      if (pair[0].test(notes)) { fields.notes = [messages['privacy' + pair[1].replace('-', '')]]; }
      if (pair[0].test(unlisted)) { fields.unlisted_rumour = [messages['privacy' + pair[1].replace('-', '')]]; }
    });
    if (!data.get('occurred_at')) { fields.occurred_at = [messages.needTime]; }
    return fields;
  }

  function payload() {
    var data = new FormData(form);
    return {
      client_uuid: data.get('client_uuid'),
      occurred_at: isoWithOffset(data.get('occurred_at')),
      district: data.get('district'),
      neighbourhood: data.get('neighbourhood') || null,
      setting: data.get('setting'),
      rumours: data.getAll('rumours'),
      people_reached: Number(data.get('people_reached')),
      outcome: data.get('outcome'),
      notes: (data.get('notes') || '').trim(),
      unlisted_rumour: (data.get('unlisted_rumour') || '').trim(),
      campaign: data.get('campaign') || null
    };
  }

  function fresh() {
    form.reset();
    $('input[name="client_uuid"]').value = uuid4();
    $('#occurred_at').value = localNow();
    timeEdited = false;
    form.classList.remove('searching', 'show-all');
    picks.forEach(function (pick) { pick.classList.remove('no-match'); });
    if (more) { more.hidden = false; }
    filterHoods();
  }

  function confirmSaved(sent) {
    var box = document.getElementById('confirm');
    var detail = document.getElementById('confirm-detail');
    detail.textContent = sent ? detail.dataset.sent : detail.dataset.queued;
    box.hidden = false;
    box.classList.toggle('confirm-queued', !sent);
    window.scrollTo(0, 0);
    box.focus();
  }

  /* Only the new-entry form goes through the outbox; corrections post as a normal form. */
  if (form.dataset.api && window.RumoursOutbox) {
    var saving = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (saving) { return; }
      var fields = checkLocally();
      if (Object.keys(fields).length) { showErrors(fields); return; }
      showErrors({});
      saving = true;
      var record = payload();
      var outbox = window.RumoursOutbox;
      var picked = form.querySelector('input[name="setting"]:checked + span');
      var rumour = form.querySelector('input[name="rumours"]:checked + .pick-text');
      var summary = [picked, rumour].filter(Boolean).map(function (el) { return el.textContent.trim(); });
      outbox.add(record, summary.join(' · ')).then(function () {
        return navigator.onLine ? outbox.sendOne(record.client_uuid) : { result: 'queued' };
      }).then(function (outcome) {
        if (outcome.result === 'invalid') {
          // The server said no: keep the form as it is so the agent can fix it.
          return outbox.remove(record.client_uuid).then(function () {
            showErrors((outcome.body && outcome.body.fields) || { rumours: [outcome.body.error] });
          });
        }
        confirmSaved(outcome.result === 'sent' || outcome.result === 'gone');
        fresh();
        return outbox.render();
      }).catch(function () {
        confirmSaved(false);
        fresh();
      }).then(function () { saving = false; });
    });
    // A form loaded from the offline cache still gets its own key and the real time.
    $('input[name="client_uuid"]').value = uuid4();
    $('#occurred_at').value = localNow();
  }

  $('#notes').addEventListener('change', function () {
    var problem = checkLocally().notes || [];
    var list = form.querySelector('[data-errors-for="notes"]');
    list.textContent = '';
    problem.forEach(function (m) {
      var item = document.createElement('li');
      item.textContent = m;
      list.appendChild(item);
    });
    list.hidden = !problem.length;
    list.closest('.group').classList.toggle('group-invalid', problem.length > 0);
  });
  filterHoods();
})();
