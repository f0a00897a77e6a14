// Interactive charts: each <script type="application/json" class="chart-data"> holds a vega-lite
// spec and raw points (src/report/pages/charts/line-chart.ts); this draws it with vega-embed under
// the strict CSP (vega-interpreter, no eval), and redraws on smoothing / x axis / log / group / tag
// changes without a page load. Also the image step sliders.
(function () {
  'use strict';
  var embed = window.vegaEmbed;
  var interpreter = window.vegaInterpreter;
  var each = function (list, fn) {
    Array.prototype.forEach.call(list, fn);
  };

  // TensorBoard's debiased EMA (same as src/report/metrics/smoothing.ts).
  function smooth(values, weight) {
    if (!(weight > 0)) return values.slice();
    var first = values[0];
    if (
      values.every(function (v) {
        return v === first;
      })
    )
      return values.slice();
    var last = 0,
      n = 0,
      w = Math.min(weight, 1);
    return values.map(function (v) {
      if (!isFinite(v)) return v;
      last = last * w + (1 - w) * v;
      n += 1;
      return w === 1 ? last : last / (1 - Math.pow(w, n));
    });
  }

  var UNITS = [
    { limit: 120, div: 1, name: 's' },
    { limit: 7200, div: 60, name: 'min' },
    { limit: Infinity, div: 3600, name: 'h' },
  ];
  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function state() {
    var get = function (id) {
      return document.getElementById(id);
    };
    var sm = get('smoothing-range'),
      x = get('x-axis'),
      log = get('log-y'),
      view = get('curve-view');
    return {
      smoothing: sm ? Number(sm.value) : 0,
      x: x ? x.value : 'step',
      logY: !!(log && log.checked),
      view: view ? view.value : 'runs',
    };
  }

  /** Smoothed `y`, the chosen `x` and a readable `xLabel` for every point of a chart. */
  function prepare(payload, st) {
    var series = {};
    payload.points.forEach(function (p) {
      var key = p.run + '\u0000' + p.split;
      (series[key] = series[key] || []).push(p);
    });
    var maxRel = 0;
    payload.points.forEach(function (p) {
      if (p.rel !== null && p.rel > maxRel) maxRel = p.rel;
    });
    var unit = UNITS.filter(function (u) {
      return maxRel < u.limit;
    })[0];
    var out = [];
    Object.keys(series).forEach(function (key) {
      var pts = series[key];
      var ys = smooth(
        pts.map(function (p) {
          return p.value;
        }),
        st.smoothing,
      );
      pts.forEach(function (p, i) {
        var x = st.x === 'relative' ? (p.rel === null ? null : p.rel / unit.div) : st.x === 'wall' ? p.wall : p.step;
        if (x === null || !isFinite(ys[i])) return;
        if (st.logY && !(ys[i] > 0 && p.value > 0)) return;
        var label =
          st.x === 'relative'
            ? x.toPrecision(3) + ' ' + unit.name
            : st.x === 'wall'
              ? clock(x)
              : (payload.xModes.step.title === 'epoch' ? 'epoch ' : 'step ') + x;
        out.push({
          run: p.run,
          name: p.name,
          group: p.group,
          split: p.split,
          x: x,
          y: ys[i],
          value: p.value,
          xLabel: label,
        });
      });
    });
    var phases =
      st.x !== 'relative'
        ? []
        : payload.phases.map(function (m) {
            return {
              name: m.name,
              label: m.label,
              x: m.rel / unit.div,
              xLabel: (m.rel / unit.div).toPrecision(3) + ' ' + unit.name,
            };
          });
    return { points: out, phases: phases, unit: unit };
  }

  /** Mean per group, split and x, with a band of min–max or ±1 std over the group's runs. */
  function aggregate(points, band) {
    var cells = {};
    points.forEach(function (p) {
      var key = p.group + '\u0000' + p.split + '\u0000' + p.x;
      (cells[key] = cells[key] || { group: p.group, split: p.split, x: p.x, ys: [], raw: [] }).ys.push(p.y);
    });
    return Object.keys(cells).map(function (k) {
      var c = cells[k],
        n = c.ys.length;
      var mean =
        c.ys.reduce(function (a, b) {
          return a + b;
        }, 0) / n;
      var sd =
        n > 1
          ? Math.sqrt(
              c.ys.reduce(function (a, b) {
                return a + (b - mean) * (b - mean);
              }, 0) /
                (n - 1),
            )
          : 0;
      var lo = band === 'std' ? mean - sd : Math.min.apply(null, c.ys);
      var hi = band === 'std' ? mean + sd : Math.max.apply(null, c.ys);
      return {
        group: c.group + ' (n=' + n + ')',
        split: c.split,
        x: c.x,
        y: mean,
        value: mean,
        lo: lo,
        hi: hi,
        xLabel: String(c.x),
      };
    });
  }

  function specFor(payload, st, data) {
    var grouped = st.view !== 'runs' && payload.groupSpec;
    var spec = JSON.parse(JSON.stringify(grouped ? payload.groupSpec : payload.spec));
    var xEnc = JSON.parse(JSON.stringify(payload.xModes[st.x] || payload.xModes.step));
    if (st.x === 'relative') xEnc.title = 'time since run start (' + data.unit.name + ')';
    spec.layer = spec.layer.filter(function (l) {
      if (l.name === 'band') return !!grouped;
      if (l.name === 'raw') return !grouped && st.smoothing > 0;
      if (l.name === 'phases') return data.phases.length > 0;
      return true;
    });
    spec.layer.forEach(function (l) {
      if (l.encoding.x) l.encoding.x = Object.assign({}, xEnc, { field: 'x' });
      if (l.name === 'line' && payload.fewPoints) l.mark.point = { size: 30 };
      ['y', 'color'].forEach(function (ch) {
        if (ch === 'y' && l.encoding.y && st.logY) l.encoding.y.scale = { type: 'log' };
        if (grouped && l.encoding.color && l.encoding.color.scale) delete l.encoding.color.scale.domain;
      });
    });
    spec.datasets = {
      points: grouped ? aggregate(data.points, st.view === 'std' ? 'std' : 'range') : data.points,
      phases: data.phases,
    };
    return spec;
  }

  var OPTIONS = {
    renderer: 'svg',
    actions: false,
    ast: true,
    expr: interpreter && interpreter.expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true, theme: 'light' },
  };

  var charts = [];
  function draw(chart) {
    var st = state();
    var spec = chart.payload.study ? chart.payload.spec : specFor(chart.payload, st, prepare(chart.payload, st));
    if (chart.view) chart.view.finalize();
    return embed(chart.target, spec, OPTIONS)
      .then(function (result) {
        chart.view = result.view;
        chart.figure.setAttribute('data-drawn', String(Number(chart.figure.getAttribute('data-drawn') || 0) + 1));
      })
      .catch(function (err) {
        chart.target.textContent = 'This chart could not be drawn: ' + err.message;
      });
  }

  if (embed) {
    each(document.querySelectorAll('script.chart-data'), function (el) {
      var figure = el.closest('figure');
      var target = figure.querySelector('.chart-target');
      var chart = { payload: JSON.parse(el.textContent), figure: figure, target: target, view: null };
      charts.push(chart);
      draw(chart);
    });
  }
  var timer = null;
  function redraw() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      charts.forEach(function (c) {
        if (!c.payload.study) draw(c);
      });
      var st = state();
      var url = new URL(window.location.href);
      if (url.protocol !== 'file:') {
        url.searchParams.set('smoothing', String(st.smoothing));
        url.searchParams.set('x', st.x);
        history.replaceState(null, '', url.toString());
      }
    }, 60);
  }
  var controls = document.getElementById('chart-controls');
  if (controls && embed) {
    controls.addEventListener('submit', function (e) {
      e.preventDefault();
      redraw();
    });
    controls.addEventListener('change', redraw);
    var range = document.getElementById('smoothing-range');
    var out = document.getElementById('smoothing-value');
    if (range)
      range.addEventListener('input', function () {
        if (out) out.textContent = range.value;
        redraw();
      });
  }

  // Tag filter: a regex over each chart's series keys and title, like TensorBoard's.
  var tagFilter = document.getElementById('tag-filter');
  if (tagFilter) {
    tagFilter.addEventListener('input', function () {
      var re = null;
      try {
        re = tagFilter.value ? new RegExp(tagFilter.value, 'i') : null;
        tagFilter.classList.remove('invalid');
      } catch (e) {
        tagFilter.classList.add('invalid');
        return;
      }
      var shown = 0;
      each(document.querySelectorAll('figure.chart[data-tags]'), function (f) {
        var ok = !re || re.test(f.getAttribute('data-tags') + ' ' + f.getAttribute('data-title'));
        f.classList.toggle('hidden', !ok);
        if (ok) shown += 1;
      });
      var note = document.getElementById('tag-filter-count');
      if (note) note.textContent = shown === 0 ? 'no chart matches' : shown + ' shown';
    });
  }

  // Image step sliders: one <img> per step, the slider shows one.
  each(document.querySelectorAll('input.image-step'), function (input) {
    var figure = input.closest('figure');
    var frames = figure.querySelectorAll('img[data-step]');
    var label = figure.querySelector('.image-step-label');
    input.addEventListener('input', function () {
      each(frames, function (img, i) {
        img.classList.toggle('hidden', i !== Number(input.value));
      });
      if (label) label.textContent = 'step ' + frames[Number(input.value)].getAttribute('data-step');
    });
  });
})();
