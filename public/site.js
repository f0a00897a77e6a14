// Progressive enhancement for the server-rendered pages: table sorting, run filters, compare
// selection, chart controls and live status polling. No inline handlers, so the CSP can forbid them.
(function () {
  'use strict';
  var body = document.body;
  var isStatic = body.getAttribute('data-mode') === 'static';

  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell ? cell.getAttribute('data-v') || '' : '';
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute('data-sort');
      if (!kind) return;
      th.addEventListener('click', function () {
        var desc = !th.classList.contains('sorted-desc');
        Array.prototype.forEach.call(headers, function (h) {
          h.classList.remove('sorted-asc', 'sorted-desc');
        });
        th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var va = cellValue(a, index),
            vb = cellValue(b, index);
          // Missing values sort last in both directions.
          if (va === '' || vb === '') return va === vb ? 0 : va === '' ? 1 : -1;
          var cmp = kind === 'num' ? Number(va) - Number(vb) : va.localeCompare(vb);
          return desc ? -cmp : cmp;
        });
        rows.forEach(function (r) {
          tbody.appendChild(r);
        });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), makeSortable);

  // Run colours come from data-color (the CSP forbids style attributes; CSSOM properties are fine).
  Array.prototype.forEach.call(document.querySelectorAll('[data-color]'), function (el) {
    var color = el.getAttribute('data-color');
    if (/^#[0-9a-f]{6}$/i.test(color)) el.style.setProperty('--run-color', color);
  });

  // Runs page: regex filter, tag chips, selection for comparison.
  var runsTable = document.getElementById('runs-table');
  if (runsTable) {
    var filterInput = document.getElementById('filter');
    var shownCount = document.getElementById('shown-count');
    var activeTag = '';
    var selected = document.querySelector('#tag-filters .chip.selected');
    if (selected) activeTag = selected.getAttribute('data-tag') || '';

    var applyFilter = function () {
      var text = filterInput ? filterInput.value : '';
      var re = null;
      try {
        re = text ? new RegExp(text, 'i') : null;
        filterInput.classList.remove('invalid');
      } catch (e) {
        filterInput.classList.add('invalid');
      }
      var shown = 0;
      Array.prototype.forEach.call(runsTable.tBodies[0].rows, function (row) {
        var id = row.getAttribute('data-id') || '';
        var tags = (row.getAttribute('data-tags') || '').split(' ');
        var ok = (!re || re.test(id)) && (!activeTag || tags.indexOf(activeTag) >= 0);
        row.classList.toggle('hidden', !ok);
        if (ok) shown++;
      });
      if (shownCount) shownCount.textContent = shown + ' shown';
    };
    if (filterInput) {
      filterInput.addEventListener('input', applyFilter);
      var form = document.getElementById('filter-form');
      if (form)
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          applyFilter();
        });
    }
    Array.prototype.forEach.call(document.querySelectorAll('#tag-filters .chip'), function (chip) {
      chip.addEventListener('click', function (e) {
        e.preventDefault();
        var tag = chip.getAttribute('data-tag') || '';
        activeTag = activeTag === tag ? '' : tag;
        Array.prototype.forEach.call(document.querySelectorAll('#tag-filters .chip'), function (c) {
          c.classList.toggle('selected', c.getAttribute('data-tag') === activeTag);
        });
        applyFilter();
      });
    });

    var button = document.getElementById('compare-button');
    var count = document.getElementById('selected-count');
    var updateSelection = function () {
      if (!button) return;
      var ids = Array.prototype.map.call(runsTable.querySelectorAll('input.pick:checked'), function (c) {
        return c.value;
      });
      var base = button.getAttribute('data-base') || '/compare';
      button.setAttribute('href', base + '?runs=' + ids.map(encodeURIComponent).join(','));
      button.setAttribute('aria-disabled', ids.length < 2 ? 'true' : 'false');
      button.classList.toggle('disabled', ids.length < 2);
      if (count) count.textContent = ids.length === 0 ? 'select two or more runs' : ids.length + ' selected';
      // Same deep link as the server builds (src/report/tensorboard-link.ts): runFilter on the run folders.
      var tbLink = document.getElementById('tb-selected');
      if (tbLink) {
        var url = new URL(tbLink.getAttribute('data-base'));
        if (ids.length > 0) {
          var escaped = ids.map(function (id) {
            return id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          });
          url.searchParams.set('runFilter', '^(?:' + escaped.join('|') + ')(?:/|$)');
        }
        tbLink.setAttribute('href', url.toString());
      }
    };
    runsTable.addEventListener('change', function (e) {
      if (e.target && e.target.id === 'select-all') {
        var on = e.target.checked;
        Array.prototype.forEach.call(runsTable.querySelectorAll('tbody tr:not(.hidden) input.pick'), function (c) {
          c.checked = on;
        });
      }
      updateSelection();
    });
    if (button) {
      button.addEventListener('click', function (e) {
        if (button.getAttribute('aria-disabled') === 'true') e.preventDefault();
      });
    }
    updateSelection();
    applyFilter();

    // Live updates: poll compact per-run signatures; when any changed, re-fetch this page and swap rows.
    if (!isStatic && body.getAttribute('data-live') === '1') {
      var notice = document.getElementById('live-notice');
      var poll = function () {
        fetch('/api/runs/status.json', { headers: { accept: 'application/json' } })
          .then(function (r) {
            return r.json();
          })
          .then(function (list) {
            var rows = runsTable.tBodies[0].rows;
            var known = {};
            Array.prototype.forEach.call(rows, function (row) {
              known[row.getAttribute('data-id')] = row.getAttribute('data-sig');
            });
            var changed =
              list.length !== rows.length ||
              list.some(function (r) {
                return known[r.id] !== r.sig;
              });
            if (!changed) return;
            return fetch(window.location.href, { headers: { accept: 'text/html' } })
              .then(function (r) {
                return r.text();
              })
              .then(function (html) {
                var doc = new DOMParser().parseFromString(html, 'text/html');
                var fresh = doc.querySelector('#runs-table tbody');
                if (!fresh) return;
                var checked = {};
                Array.prototype.forEach.call(runsTable.querySelectorAll('input.pick:checked'), function (c) {
                  checked[c.value] = true;
                });
                var tbody = runsTable.tBodies[0];
                tbody.replaceWith(document.importNode(fresh, true));
                Array.prototype.forEach.call(runsTable.querySelectorAll('input.pick'), function (c) {
                  c.checked = !!checked[c.value];
                });
                var sorted = runsTable.querySelector('th.sorted-asc, th.sorted-desc');
                if (sorted) {
                  var wasDesc = sorted.classList.contains('sorted-desc');
                  sorted.classList.remove('sorted-asc', 'sorted-desc');
                  if (!wasDesc) sorted.classList.add('sorted-desc');
                  sorted.click();
                }
                applyFilter();
                updateSelection();
                if (notice) {
                  notice.textContent = 'Updated ' + new Date().toLocaleTimeString();
                  notice.classList.remove('hidden');
                }
              });
          })
          .catch(function () {
            /* the server may be restarting; try again next tick */
          });
      };
      setInterval(poll, Number(body.getAttribute('data-poll-ms')) || 5000);
    }
  }

  // Run page of a run in progress: reload when its row in the runs table would change.
  var liveRun = document.getElementById('live-run');
  if (liveRun && !isStatic) {
    setInterval(
      function () {
        fetch('/api/runs/status.json', { headers: { accept: 'application/json' } })
          .then(function (r) {
            return r.json();
          })
          .then(function (list) {
            var mine = list.filter(function (r) {
              return r.id === liveRun.getAttribute('data-id');
            })[0];
            if (mine && mine.sig !== liveRun.getAttribute('data-sig')) window.location.reload();
          })
          .catch(function () {
            /* retry on the next tick */
          });
      },
      Number(body.getAttribute('data-poll-ms')) || 5000,
    );
  }

  // Compare and run pages: controls apply on change.
  // (the chart controls redraw in place: public/charts.js)
  Array.prototype.forEach.call(document.querySelectorAll('#compare-controls'), function (form) {
    form.addEventListener('change', function () {
      form.submit();
    });
  });
})();
