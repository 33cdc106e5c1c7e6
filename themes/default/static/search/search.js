/* coe static search: BM25 over term shards exported from the tantivy index.
   Fetches only the shards of the query's words, the per-COE metadata and the fragments
   of the results it shows. Every string from the index reaches the DOM as text. */
(function () {
  'use strict';
  var box = document.getElementById('search');
  if (!box || !window.fetch || !globalThis.coeTokens) return;
  var root = new URL(box.getAttribute('data-root') || './', location.href);
  var base = new URL('search/', root);
  var input = document.getElementById('search-q');
  var statusEl = document.getElementById('search-status');
  var resultsEl = document.getElementById('search-results');
  var facetsEl = document.getElementById('search-facets');
  var moreBtn = document.getElementById('search-more');
  var PAGE = 10, K1 = 1.2, B = 0.75, PREFIX_WEIGHT = 0.6, MAX_EXPANSIONS = 8;
  /* Field names as `coe search` reads them: letters and digits only, any case. */
  var FACET_FIELDS = { tag: 'tag', tags: 'tag', service: 'service', services: 'service', rootcause: 'root_cause',
    rootcauses: 'root_cause', cause: 'root_cause', team: 'team', teams: 'team', severity: 'severity', sev: 'severity', year: 'year' };

  var manifestP = null, metaP = null, shards = new Map(), frags = new Map();
  var state = { q: '', filters: {}, shown: 0, ranked: [], run: 0, typing: false };

  function fetchOk(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(r.status + ' ' + url); return r; });
  }
  function manifest() {
    return manifestP || (manifestP = fetchOk(new URL('index.json', base)).then(function (r) { return r.json(); }));
  }
  function varints(bytes) {
    var pos = 0;
    return function () {
      var v = 0, shift = 0, b;
      do { b = bytes[pos++]; v += (b & 0x7f) * Math.pow(2, shift); shift += 7; } while (b & 0x80);
      return v;
    };
  }
  /* Document lengths, one byte each (log-quantised). */
  function meta() {
    return metaP || (metaP = fetchOk(new URL('meta.bin', base)).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var b = new Uint8Array(buf), len = new Float64Array(b.length);
      /* Rounded as src/search/lengths.rs rounds it: Math.exp and Rust's exp differ in
         the last bit for some bytes, the rounded values do not. */
      for (var d = 0; d < b.length; d++) len[d] = Math.round(Math.exp(b[d] / 16) * 1024) / 1024;
      return { len: len };
    }));
  }
  /* One facet's values, each with its COE numbers; fetched when the facet is shown or used. */
  var facetFiles = new Map();
  function facetData(key) {
    if (!facetFiles.has(key)) facetFiles.set(key, fetchOk(new URL('facets/' + key + '.bin', base)).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var next = varints(new Uint8Array(buf)), out = [], total = buf.byteLength, read = 0;
      return manifest().then(function (m) {
        var f = m.facets.find(function (x) { return x.key === key; });
        for (var i = 0; i < f.values.length; i++) {
          var c = next(), docs = new Uint32Array(c), d = 0;
          for (var j = 0; j < c; j++) { d += next(); docs[j] = d; }
          out.push(docs);
        }
        return out;
      });
    }));
    return facetFiles.get(key);
  }
  /* Index of the shard whose range holds `term` (shards are sorted by first term). */
  function shardFor(m, term) {
    var lo = 0, hi = m.shards.length - 1, ans = 0;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (m.shards[mid] <= term) { ans = mid; lo = mid + 1; } else hi = mid - 1; }
    return ans;
  }
  function shard(i) {
    if (shards.has(i)) return shards.get(i);
    var p = fetchOk(new URL('t/' + i + '.bin', base)).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var bytes = new Uint8Array(buf), dec = new TextDecoder(), pos = 0, terms = new Map();
      function v() { var x = 0, s = 0, b; do { b = bytes[pos++]; x += (b & 0x7f) * Math.pow(2, s); s += 7; } while (b & 0x80); return x; }
      while (pos < bytes.length) {
        var tl = v(), term = dec.decode(bytes.subarray(pos, pos + tl)); pos += tl;
        var df = v(), docs = new Uint32Array(df), tfs = new Float32Array(df), d = 0;
        for (var j = 0; j < df; j++) { d += v(); docs[j] = d; tfs[j] = v(); }
        terms.set(term, { docs: docs, tfs: tfs });
      }
      return terms;
    });
    shards.set(i, p);
    return p;
  }

  /* Words, "phrases", -exclusions and field:value filters, as the CLI reads them. */
  function parse(q) {
    var out = { words: [], excluded: [], filters: [], notFilters: [], last: null };
    var re = /(-?)(?:"([^"]*)"?|(\S+))/g, m;
    q = q.slice(0, 1000);
    while ((m = re.exec(q))) {
      var neg = m[1] === '-', phrase = m[2], word = m[3];
      if (word !== undefined) {
        var c = word.indexOf(':');
        if (c > 0 && c < word.length - 1) {
          var field = FACET_FIELDS[word.slice(0, c).toLowerCase().replace(/[^a-z0-9]/g, '')];
          if (field) { (neg ? out.notFilters : out.filters).push([field, slug(word.slice(c + 1).replace(/^"+|"+$/g, ''), field)]); continue; }
        }
      }
      var text = phrase !== undefined ? phrase : word;
      if (!text) continue;
      (neg ? out.excluded : out.words).push(text);
      if (!neg && word !== undefined && m.index + m[0].length === q.length) out.last = word;
    }
    return out;
  }
  function slug(s, field) {
    var x = s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    if (field === 'severity') { x = x.replace(/-/g, ''); if (/^\d+$/.test(x)) x = 'sev' + x; }
    return x;
  }

  /* Query analysis, as `coe search` does it (src/search/analysis.rs): stop words dropped
     outside "phrases", thesaurus phrases found longest first, each group of the query scored
     by its best alternative (the words typed, or an equivalent at a lower weight). */
  var ALNUM = /[\p{Alphabetic}\p{N}]+/gu;
  function utf8len(s) { return new TextEncoder().encode(s).length; }
  function words(text) {
    var m = String(text).match(ALNUM) || [], out = [];
    for (var i = 0; i < m.length; i++) {
      if (utf8len(m[i]) >= 40) continue;
      var stem = coeTokens(m[i])[0];
      if (stem !== undefined) out.push([coeLower(m[i]), stem]);
    }
    return out;
  }
  function coeLower(w) { return /^[\x00-\x7f]*$/.test(w) ? w.toLowerCase() : Array.from(w, function (c) { return c.toLowerCase(); }).join(''); }
  var thesaurusCache = null;
  function thesaurus(m) {
    if (thesaurusCache) return thesaurusCache;
    var a = m.analysis || { stop_words: [], synonyms: [] }, stop = new Set(a.stop_words);
    var t = { stop: stop, groups: [], byStems: new Map(), longest: 0, a: a };
    a.synonyms.forEach(function (group, id) {
      var entries = [];
      group.forEach(function (text) {
        var w = words(text);
        if (!w.length) return;
        var all = w.map(function (x) { return x[1]; });
        var terms = w.filter(function (x) { return !stop.has(x[0]); }).map(function (x) { return x[1]; });
        if (!terms.length) terms = all.slice();
        var key = all.join(' ');
        if (entries.some(function (e) { return e.all.join(' ') === key; })) return;
        t.longest = Math.max(t.longest, all.length);
        var ids = t.byStems.get(key) || [];
        if (ids.indexOf(id) < 0) ids.push(id);
        t.byStems.set(key, ids);
        entries.push({ all: all, terms: terms });
      });
      t.groups.push(entries);
    });
    return (thesaurusCache = t);
  }
  function analyse(text, t) {
    var w = words(text), stems = w.map(function (x) { return x[1]; }), out = [], i = 0;
    while (i < w.length) {
      var hit = null;
      for (var len = Math.min(t.longest, w.length - i); len >= 1; len--) {
        var ids = t.byStems.get(stems.slice(i, i + len).join(' '));
        if (ids) { hit = [len, ids]; break; }
      }
      if (hit) {
        var typed = w.slice(i, i + hit[0]).filter(function (x) { return !t.stop.has(x[0]); }).map(function (x) { return x[1]; });
        if (!typed.length) typed = stems.slice(i, i + hit[0]);
        var alts = [{ terms: typed, weight: 1, typed: true }];
        hit[1].forEach(function (g) {
          t.groups[g].forEach(function (e) {
            var k = e.terms.join(' ');
            if (!alts.some(function (x) { return x.terms.join(' ') === k; })) alts.push({ terms: e.terms, weight: t.a.synonym_weight, typed: false });
          });
        });
        out.push({ alts: alts, phrase: false });
        i += hit[0];
      } else {
        if (!t.stop.has(w[i][0])) out.push({ alts: [{ terms: [stems[i]], weight: 1, typed: true }], phrase: false });
        i++;
      }
    }
    var seen = new Set();
    return out.filter(function (g) { var k = g.alts[0].terms.join(' '); if (seen.has(k)) return false; seen.add(k); return true; });
  }
  function queryGroups(m, parsed) {
    var t = thesaurus(m), phrases = [], free = [];
    parsed.words.slice(0, 32).forEach(function (w) {
      if (/\s/.test(w)) {
        var terms = words(w).map(function (x) { return x[1]; });
        if (terms.length) phrases.push({ alts: [{ terms: terms, weight: 1, typed: true }], phrase: true });
      } else free.push(w);
    });
    var groups = analyse(free.join(' '), t);
    if (!groups.length && !phrases.length)
      groups = words(free.join(' ')).map(function (x) { return { alts: [{ terms: [x[1]], weight: 1, typed: true }], phrase: false }; });
    return groups.concat(phrases);
  }

  /* The shards the query needs: every term of every alternative, and, for the word being
     typed, the shards its prefix may continue into. */
  function lookups(m, parsed) {
    var groups = queryGroups(m, parsed), need = new Set(), prefix = null;
    groups.forEach(function (g) { g.alts.forEach(function (a) { a.terms.forEach(function (t) { need.add(shardFor(m, t)); }); }); });
    if (parsed.last) {
      var raw = parsed.last.toLowerCase(), stem = coeTokens(parsed.last).slice(-1)[0];
      var g = null;
      for (var i = groups.length - 1; i >= 0; i--) if (!groups[i].phrase && groups[i].alts[0].terms.indexOf(stem) >= 0) { g = groups[i]; break; }
      if (g && raw.length >= 2 && /^[\p{Alphabetic}\p{N}]+$/u.test(raw)) {
        /* The shards of the terms it begins, and of the shorter forms it may stand for,
           wherever they are: the expansions depend on the index, not on which shards the
           other words happened to fetch. Fetched only when the word is taken as unfinished. */
        var more = new Set(), s = shardFor(m, raw);
        more.add(s);
        while (s + 1 < m.shards.length && m.shards[s + 1].indexOf(raw) === 0) more.add(++s);
        for (var k = Math.max(3, raw.length - 3); k < raw.length; k++) more.add(shardFor(m, raw.slice(0, k)));
        prefix = { group: g, raw: raw, stem: stem, shards: Array.from(more) };
      }
    }
    parsed.excluded.forEach(function (w) { coeTokens(w).forEach(function (t) { need.add(shardFor(m, t)); }); });
    return { groups: groups, prefix: prefix, shards: Array.from(need) };
  }

  /* `typing`: the last word may be unfinished, so it also matches as a prefix. A query
     submitted or opened from a link is complete, and ranks as `coe search` ranks it, unless
     its last word is in no COE (`?q=thumbn`): then it is taken as unfinished too. */
  function search(q, filters, typing) {
    var parsed = parse(q);
    return Promise.all([manifest(), meta()]).then(function (r) {
      var m = r[0], md = r[1], plan = lookups(m, parsed);
      var active = activeFilters(m, filters, parsed.filters), left = activeFilters(m, {}, parsed.notFilters);
      var used = m.facets.filter(function (f, i) { return active[i].length || left[i].length; });
      var first = typing && plan.prefix ? Array.from(new Set(plan.shards.concat(plan.prefix.shards))) : plan.shards;
      return Promise.all([Promise.all(first.map(shard)), Promise.all(used.map(function (f) { return facetData(f.key); }))]).then(function (got) {
        /* A complete query whose last word is in no COE: its prefix shards now. */
        var stem = plan.prefix && plan.prefix.stem;
        if (!plan.prefix || typing || got[0].some(function (sh) { return sh.has(stem); })) return got;
        return Promise.all(plan.prefix.shards.map(shard)).then(function (extra) {
          /* Each shard once: a term met twice would take two of the expansions. */
          extra.forEach(function (sh) { if (got[0].indexOf(sh) < 0) got[0].push(sh); });
          return got;
        });
      }).then(function (got) {
        /* Per facet chosen, the COEs it lets through; `-tag:x` in the query leaves out x's. */
        var loaded = got[0], masks = [], leftOut = new Uint8Array(m.docs);
        used.forEach(function (f, ui) {
          var fi = m.facets.indexOf(f), mask = new Uint8Array(m.docs);
          active[fi].forEach(function (id) { var docs = got[1][ui][id]; if (docs) docs.forEach(function (d) { mask[d] = 1; }); });
          left[fi].forEach(function (id) { var docs = got[1][ui][id]; if (docs) docs.forEach(function (d) { leftOut[d] = 1; }); });
          if (active[fi].length) masks.push(mask);
        });
        function find(term) { for (var i = 0; i < loaded.length; i++) { var p = loaded[i].get(term); if (p) return p; } return null; }
        var a = m.analysis || {}, k1 = a.k1 || K1, b = a.b === undefined ? B : a.b, cb = a.coord_base === undefined ? 0.3 : a.coord_base;
        var n = m.docs, scores = new Float64Array(n), matched = new Uint32Array(n), terms = new Set(), failed = new Uint8Array(n);
        var unfinished = null;
        if (plan.prefix && (typing || !find(plan.prefix.stem))) {
          var g = plan.prefix.group, raw = plan.prefix.raw, have = new Set(g.alts.map(function (x) { return x.terms.join(' '); })), pre = [];
          loaded.forEach(function (s) {
            s.forEach(function (p, t) {
              if (!have.has(t) && (t.indexOf(raw) === 0 || (raw.indexOf(t) === 0 && t.length >= Math.max(3, raw.length - 3))))
                pre.push([t, p.docs.length]);
            });
          });
          var begins = pre.sort(function (x, y) { return y[1] - x[1] || (x[0] < y[0] ? -1 : 1); }).slice(0, a.max_expansions || MAX_EXPANSIONS);
          begins.forEach(function (x) {
            g.alts.push({ terms: [x[0]], weight: a.prefix_weight || PREFIX_WEIGHT, typed: true });
          });
          /* A complete query whose last word is in no COE: say so, as `coe search` does. */
          if (!typing && begins.length) unfinished = { word: parsed.last, begins: begins.map(function (x) { return x[0]; }) };
        }
        /* BM25F of one term in each COE that has it: doc -> score. */
        var bmCache = new Map();
        function bm(t) {
          if (bmCache.has(t)) return bmCache.get(t);
          var p = find(t), out = new Map();
          if (p) {
            var idf = Math.round(Math.log(1 + (n - p.docs.length + 0.5) / (p.docs.length + 0.5)) * 1048576) / 1048576;
            for (var j = 0; j < p.docs.length; j++) {
              var d = p.docs[j], tf = p.tfs[j] / m.tf_scale;
              out.set(d, idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * md.len[d] / m.avg_len)));
            }
          }
          bmCache.set(t, out);
          return out;
        }
        plan.groups.forEach(function (g) {
          var best = new Map(), typedLen = Math.max(1, g.alts[0].terms.length);
          g.alts.forEach(function (alt) {
            var acc = new Map();
            alt.terms.forEach(function (t) {
              bm(t).forEach(function (s, d) { var x = acc.get(d); if (x) { x[0] += s; x[1]++; } else acc.set(d, [s, 1]); });
            });
            var need = alt.terms.length;
            acc.forEach(function (x, d) {
              var s;
              if (g.phrase && x[1] < need) { failed[d] = 1; return; }
              if (alt.typed) s = alt.weight * x[0];
              else if (x[1] < need) return;
              else s = alt.weight * x[0] / need * typedLen;
              if (s > (best.get(d) || 0)) best.set(d, s);
            });
            if (acc.size) alt.terms.forEach(function (t) { if (find(t)) terms.add(t); });
          });
          if (g.phrase) for (var d = 0; d < n; d++) if (!best.has(d)) failed[d] = 1;
          best.forEach(function (s, d) { if (s > 0) { scores[d] += s; matched[d]++; } });
        });
        var excluded = new Uint8Array(n);
        /* An excluded word leaves out the COEs that have it; an excluded phrase those that
           have all its words (the index has no positions to check their order). */
        parsed.excluded.forEach(function (w) {
          var toks = coeTokens(w), count = new Map();
          toks.forEach(function (t, i) {
            if (toks.indexOf(t) !== i) return;
            var p = find(t);
            if (p) p.docs.forEach(function (d) { count.set(d, (count.get(d) || 0) + 1); });
          });
          var need = new Set(toks).size;
          count.forEach(function (c, d) { if (c === need) excluded[d] = 1; });
        });
        var G = plan.groups.length, hasWords = G > 0;
        var ranked = [];
        for (var d = 0; d < n; d++) {
          if (excluded[d] || leftOut[d] || failed[d] || !masks.every(function (mask) { return mask[d]; })) continue;
          if (hasWords && !matched[d]) continue;
          if (!hasWords && parsed.words.length) continue;
          if (hasWords) scores[d] *= cb + (1 - cb) * matched[d] / G;
          ranked.push(d);
        }
        if (hasWords) ranked.sort(function (x, y) { return scores[y] - scores[x] || x - y; });
        // COEs are numbered newest first.
        else ranked.sort(function (x, y) { return x - y; });
        return { ranked: ranked, terms: Array.from(terms), words: parsed.words, m: m, md: md, active: active, scores: scores, unfinished: unfinished };
      });
    });
  }
  function activeFilters(m, chosen, fromQuery) {
    var all = {};
    Object.keys(chosen).forEach(function (k) { all[k] = chosen[k].slice(); });
    fromQuery.forEach(function (f) { (all[f[0]] = all[f[0]] || []).push(f[1]); });
    return m.facets.map(function (f) {
      var want = all[f.key] || [];
      return want.map(function (s) { return f.values.findIndex(function (v) { return v[0] === s; }); });
    });
  }
  /* Fragments come eight COEs to a file (d/<d/8>.json, an array). */
  function fragment(d) {
    var c = Math.floor(d / 8);
    if (!frags.has(c)) frags.set(c, fetchOk(new URL('d/' + c + '.json', base)).then(function (r) { return r.json(); }));
    return frags.get(c).then(function (list) { return list[d % 8]; });
  }
  /* Appends `text` to `parent`, wrapping words whose stem was searched in <mark>, around the
     densest window of matches. */
  function excerpt(parent, text, stems) {
    var words = [], re = /[\p{Alphabetic}\p{N}]+/gu, m;
    while ((m = re.exec(text))) words.push([m.index, m.index + m[0].length, stems.has(coeTokens(m[0])[0])]);
    var best = 0, bestHits = -1, W = 32;
    for (var i = 0; i < words.length; i++) {
      if (!words[i][2]) continue;
      var hits = 0;
      for (var j = i; j < Math.min(words.length, i + W); j++) if (words[j][2]) hits++;
      if (hits > bestHits) { bestHits = hits; best = Math.max(0, i - 6); }
    }
    var slice = words.slice(best, best + W + 6);
    if (!slice.length) { parent.appendChild(document.createTextNode(text.slice(0, 220))); return; }
    var from = slice[0][0], to = slice[slice.length - 1][1], pos = from;
    if (from > 0) parent.appendChild(document.createTextNode('… '));
    slice.forEach(function (w) {
      if (!w[2]) return;
      parent.appendChild(document.createTextNode(text.slice(pos, w[0])));
      var mark = document.createElement('mark'); mark.textContent = text.slice(w[0], w[1]); parent.appendChild(mark);
      pos = w[1];
    });
    parent.appendChild(document.createTextNode(text.slice(pos, to) + (to < text.length ? ' …' : '')));
  }
  function safeUrl(u) { return /^coe\/[a-z0-9-]+\/$/.test(u) ? new URL(u, root).href : new URL('404.html', root).href; }

  /* Appends the next page of results. With `focusFirst` (the "More results" button), focus
     moves to the first added result, so that it is not lost when the button hides itself,
     and the status line (a live region) says which results were added. */
  function showPage(res, run, focusFirst) {
    var from = state.shown, docs = res.ranked.slice(state.shown, state.shown + PAGE), stems = new Set(res.terms);
    state.shown += docs.length;
    return Promise.all(docs.map(fragment)).then(function (list) {
      if (run !== state.run) return;
      var first = null;
      list.forEach(function (f) {
        var li = document.createElement('li'); li.className = 'search-hit';
        var meta = document.createElement('p'); meta.className = 'meta';
        var sev = document.createElement('span'); sev.className = 'sev ' + (/^[a-z0-9]+$/.test(f.sev) ? f.sev : 'unrated'); sev.textContent = f.severity;
        var date = document.createElement('time'); date.textContent = f.date; date.setAttribute('datetime', f.date);
        var id = document.createElement('span'); id.className = 'id'; id.textContent = f.id;
        meta.append(sev, ' ', date, ' ', id);
        var h = document.createElement('h3'), a = document.createElement('a');
        a.href = safeUrl(f.url); a.textContent = f.title; h.appendChild(a);
        first = first || a;
        var p = document.createElement('p'); p.className = 'excerpt';
        excerpt(p, f.summary + (f.text ? ' ' + f.text : ''), stems);
        li.append(meta, h, p);
        resultsEl.appendChild(li);
      });
      if (focusFirst && first) {
        first.focus();
        statusEl.textContent = 'Showing ' + (from + 1) + '–' + state.shown + ' of ' + res.ranked.length + ' COEs.';
      }
      moreBtn.hidden = state.shown >= res.ranked.length;
    });
  }

  /* Filters, one collapsible group per facet (OR within a facet, AND across facets). A group's
     data is fetched when it is opened, or when one of its values is in use. The groups are
     rebuilt for each result set (their counts change) and swapped in at once when the open
     ones are filled: groups stay open, and the focused box or group keeps the focus (toggling
     a filter from the keyboard does not drop it to the page). */
  function renderFacets(res, run) {
    var inResults = new Uint8Array(res.m.docs);
    res.ranked.forEach(function (d) { inResults[d] = 1; });
    var wasOpen = {}, focus = null, active = document.activeElement;
    Array.prototype.forEach.call(facetsEl.children, function (det) { if (det.open) wasOpen[det.getAttribute('data-key')] = true; });
    if (active && facetsEl.contains(active)) {
      var group = active.closest('details');
      focus = { key: group && group.getAttribute('data-key'), value: active.getAttribute('data-value') };
    }
    var groups = res.m.facets.map(function (f) {
      var chosen = state.filters[f.key] || [];
      var det = document.createElement('details'), sum = document.createElement('summary');
      det.setAttribute('data-key', f.key);
      sum.textContent = f.label; det.appendChild(sum);
      var body = document.createElement('div'); det.appendChild(body);
      var filled = null;
      function fill() {
        if (filled) return filled;
        filled = facetData(f.key).then(function (values) {
          var counts = values.map(function (docs) { var c = 0; for (var j = 0; j < docs.length; j++) c += inResults[docs[j]]; return c; });
          var ids = counts.map(function (c, i) { return i; }).filter(function (i) { return counts[i] > 0; })
            .sort(function (a, b) { return counts[b] - counts[a] || a - b; }).slice(0, 10);
          chosen.forEach(function (s) { var i = f.values.findIndex(function (v) { return v[0] === s; }); if (i >= 0 && ids.indexOf(i) < 0) ids.push(i); });
          if (!ids.length) { var none = document.createElement('p'); none.className = 'empty'; none.textContent = 'None in these results.'; body.appendChild(none); }
          ids.forEach(function (i) {
            var v = f.values[i], label = document.createElement('label'), cb = document.createElement('input');
            cb.type = 'checkbox'; cb.defaultChecked = cb.checked = chosen.indexOf(v[0]) >= 0;
            cb.setAttribute('data-value', v[0]);
            cb.addEventListener('change', function () {
              var list = state.filters[f.key] = (state.filters[f.key] || []).filter(function (x) { return x !== v[0]; });
              if (cb.checked) list.push(v[0]);
              update(true);
            });
            var count = document.createElement('span'); count.className = 'count'; count.textContent = String(counts[i]);
            label.append(cb, ' ' + v[1] + ' ', count);
            body.appendChild(label);
          });
        });
        return filled;
      }
      det.addEventListener('toggle', function () { if (det.open) fill(); });
      if (chosen.length || wasOpen[f.key]) { det.open = true; return fill().then(function () { return det; }); }
      return Promise.resolve(det);
    });
    return Promise.all(groups).then(function (dets) {
      if (run !== state.run) return;
      facetsEl.replaceChildren.apply(facetsEl, dets);
      if (!focus) return;
      var det = dets.find(function (d) { return d.getAttribute('data-key') === focus.key; });
      if (!det) return;
      var target = focus.value === null ? det.querySelector('summary')
        : Array.prototype.find.call(det.querySelectorAll('input'), function (x) { return x.getAttribute('data-value') === focus.value; });
      (target || det.querySelector('summary')).focus();
    });
  }

  function syncUrl() {
    var params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    Object.keys(state.filters).forEach(function (k) { state.filters[k].forEach(function (v) { params.append(k, v); }); });
    var qs = params.toString();
    history.replaceState(null, '', qs ? '?' + qs : location.pathname);
  }

  function update(now) {
    state.q = input.value;
    syncUrl();
    var run = ++state.run;
    var hasFilters = Object.keys(state.filters).some(function (k) { return state.filters[k].length; });
    if (!state.q.trim() && !hasFilters) {
      resultsEl.textContent = ''; facetsEl.textContent = ''; moreBtn.hidden = true; statusEl.textContent = '';
      return Promise.resolve();
    }
    statusEl.textContent = now ? 'Searching…' : statusEl.textContent;
    return search(state.q, state.filters, state.typing).then(function (res) {
      if (run !== state.run) return;
      state.ranked = res.ranked; state.shown = 0; state.res = res;
      resultsEl.textContent = '';
      var n = res.ranked.length;
      var u = res.unfinished;
      statusEl.textContent = (n === 0 ? 'No COE matches. Try other words, or fewer filters.' : n + (n === 1 ? ' COE matches.' : ' COEs match.')) +
        (u && n ? ' \u201c' + u.word + '\u201d is in no COE: matched words that begin like it (' + u.begins.join('\u2026, ') + '\u2026).' : '');
      return Promise.all([renderFacets(res, run), showPage(res, run, false)]);
    }).catch(function (e) {
      if (run === state.run) statusEl.textContent = 'Search is unavailable: ' + e.message;
    });
  }

  var timer = null;
  input.addEventListener('input', function () { state.typing = true; clearTimeout(timer); timer = setTimeout(function () { update(false); }, 120); });
  document.getElementById('search-form').addEventListener('submit', function (e) { e.preventDefault(); clearTimeout(timer); state.typing = false; update(true); });
  moreBtn.addEventListener('click', function () { if (state.res) showPage(state.res, state.run, true); });
  /* Arrow keys: from the search box down to the results, and between the results' links
     (Tab still goes through the filters first). */
  function resultLinks() { return Array.prototype.slice.call(resultsEl.querySelectorAll('h3 a')); }
  input.addEventListener('keydown', function (e) {
    var links = resultLinks();
    if (e.key === 'ArrowDown' && links.length) { e.preventDefault(); links[0].focus(); }
  });
  resultsEl.addEventListener('keydown', function (e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    var links = resultLinks(), i = links.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    if (e.key === 'ArrowDown') (links[i + 1] || (moreBtn.hidden ? links[i] : moreBtn)).focus();
    else (i > 0 ? links[i - 1] : input).focus();
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get('q') || '';
  ['tag', 'service', 'root_cause', 'team', 'severity', 'year'].forEach(function (k) {
    var v = params.getAll(k).map(function (x) { return slug(x, k); }).filter(Boolean);
    if (v.length) state.filters[k] = v;
  });
  // Tests and tools can wait for the first results.
  window.coeSearchReady = update(true);
  input.focus();
})();
