/* Snowball English (Porter2) stemmer + tantivy `en_stem` tokenizer, ported
 * to plain browser JavaScript. Mirrors frostem 1.20260821.8 (Snowball main,
 * english.sbl) as used by tantivy 0.27, so client-side query terms match the
 * server-built index exactly.
 *   coeStem(word)   -> stem of an already-lowercased token
 *   coeTokens(text) -> en_stem tokens: split on !char::is_alphanumeric(),
 *                      drop tokens of >= 40 UTF-8 bytes, lowercase per char,
 *                      stem.
 * Works on code points (not UTF-16 units) like the Rust char-based cursor. */
(function () {
  'use strict';

  function set(s) { var o = Object.create(null); for (var i = 0; i < s.length; i++) o[s[i]] = 1; return o; }
  var V = set('aeiouy'), WXY = set('aeiouywxY'), AEO = set('aeo'), LI = set('cdeghkmnrt');

  // Whole-word exceptions (checked before everything else).
  var EXC = Object.create(null);
  'andes atlas bias cosmos howe news sky'.split(' ').forEach(function (x) { EXC[x] = x; });
  EXC.skis = 'ski'; EXC.skies = 'sky'; EXC.idly = 'idl'; EXC.gently = 'gentl';
  EXC.ugly = 'ugli'; EXC.early = 'earli'; EXC.only = 'onli'; EXC.singly = 'singl';

  // R1 prefixes that override the usual vowel/non-vowel rule.
  var PRE = ['arsen', 'commun', 'emerg', 'gener', 'inter', 'later', 'organ', 'past', 'univers'];

  // Suffix tables, longest first (Snowball `among` = longest match wins).
  // Step 2: [suffix, replacement]; null replacement = special case.
  var S2 = tbl('ational ate|ization ize|iveness ive|fulness ful|ousness ous|tional tion|biliti ble|lessli less|' +
    'entli ent|aliti al|iviti ive|alism al|ation ate|ogist og|fulli ful|ousli ous|anci ance|enci ence|abli able|' +
    'alli al|izer ize|ator ate|bli ble|ogi|li');
  var S3 = tbl('ational ate|tional tion|icate ic|ative|alize al|iciti ic|ical ic|ness |ful ');
  var S4 = tbl('ement |ance |ence |able |ible |ment |ate |ive |ize |iti |ism |ion|ous |ant |ent |ic |al |er ');
  function tbl(s) {
    return s.split('|').map(function (e) { var i = e.indexOf(' '); return i < 0 ? [e, null] : [e.slice(0, i), e.slice(i + 1)]; });
  }

  // Does w[0..end) end with ASCII string s?
  function ends(w, end, s) {
    var k = s.length;
    if (end < k) return false;
    for (var i = 0; i < k; i++) if (w[end - k + i] !== s[i]) return false;
    return true;
  }
  function find(w, end, t) {
    for (var i = 0; i < t.length; i++) if (ends(w, end, t[i][0])) return t[i];
    return null;
  }
  function hasVowel(w, end) { for (var i = 0; i < end; i++) if (V[w[i]]) return true; return false; }
  // Position just after the first non-vowel that follows a vowel, from `from`; -1 if none.
  function mark(w, from) {
    var i = from, n = w.length;
    while (i < n && !V[w[i]]) i++;
    if (i >= n) return -1;
    i++;
    while (i < n && V[w[i]]) i++;
    return i >= n ? -1 : i + 1;
  }
  // Short syllable ending at `end`.
  function shortv(w, end) {
    if (end >= 3 && !WXY[w[end - 1]] && V[w[end - 2]] && !V[w[end - 3]]) return true;
    if (end === 2 && !V[w[1]] && V[w[0]]) return true;
    return ends(w, end, 'past');
  }
  function repl(w, b, s) { w.length = b; for (var i = 0; i < s.length; i++) w.push(s[i]); }

  function stem(word) {
    if (EXC[word] !== undefined) return EXC[word];
    var w = Array.from(word);
    if (w.length < 3) return word;

    // Prelude: strip leading apostrophe, mark consonant-y as Y.
    if (w[0] === "'") w.shift();
    var yFound = false, i, n, t, b, L;
    if (w[0] === 'y') { w[0] = 'Y'; yFound = true; }
    for (i = 1; i < w.length; i++) if (w[i] === 'y' && V[w[i - 1]]) { w[i] = 'Y'; yFound = true; }

    // Regions R1 / R2.
    n = w.length;
    var p1 = n, p2 = n, c = -1;
    var s = w.join('');
    for (i = 0; i < PRE.length; i++) if (s.lastIndexOf(PRE[i], 0) === 0) { c = PRE[i].length; break; }
    if (c < 0) c = mark(w, 0);
    if (c >= 0) { p1 = c; c = mark(w, c); if (c >= 0) p2 = c; }

    // Step 0 + 1a.
    L = w.length;
    if (ends(w, L, "'s'")) w.length -= 3;
    else if (ends(w, L, "'s")) w.length -= 2;
    else if (ends(w, L, "'")) w.length -= 1;
    L = w.length;
    if (ends(w, L, 'sses')) w.length -= 2;
    else if (ends(w, L, 'ied') || ends(w, L, 'ies')) repl(w, L - 3, L - 3 >= 2 ? 'i' : 'ie');
    else if (ends(w, L, 'ss') || ends(w, L, 'us')) { /* keep */ }
    else if (ends(w, L, 's') && L >= 2 && hasVowel(w, L - 2)) w.length -= 1;

    // Step 1b.
    L = w.length;
    var del = false;
    if (ends(w, L, 'eedly') || ends(w, L, 'eed')) {
      b = L - (w[L - 1] === 'y' ? 5 : 3);
      if (p1 <= b && !((b === 4 && (ends(w, 4, 'succ') || ends(w, 4, 'proc'))) || (b === 3 && ends(w, 3, 'exc'))))
        repl(w, b, 'ee');
    } else if (ends(w, L, 'ingly') || ends(w, L, 'edly')) { b = L - (ends(w, L, 'edly') ? 4 : 5); del = true; }
    else if (ends(w, L, 'ing')) {
      b = L - 3; del = true;
      if (ends(w, b, 'y')) {
        if (b === 2 && !V[w[0]]) { repl(w, 1, 'ie'); del = false; }
      } else {
        t = find(w, b, [['even'], ['cann'], ['earr'], ['herr'], ['inn'], ['out']]);
        if (t && b === t[0].length) del = false;
      }
    } else if (ends(w, L, 'ed')) { b = L - 2; del = true; }
    if (del && hasVowel(w, b)) {
      w.length = b;
      if (ends(w, b, 'at') || ends(w, b, 'bl') || ends(w, b, 'iz')) w.push('e');
      else if (b >= 2 && w[b - 1] === w[b - 2] && 'bdfgmnprt'.indexOf(w[b - 1]) >= 0) {
        if (!(b === 3 && AEO[w[0]])) w.length = b - 1;
      } else if (b === p1 && shortv(w, b)) w.push('e');
    }

    // Step 1c.
    L = w.length;
    if (L >= 3 && (w[L - 1] === 'y' || w[L - 1] === 'Y') && !V[w[L - 2]]) w[L - 1] = 'i';

    // Step 2.
    L = w.length;
    t = find(w, L, S2);
    if (t && p1 <= (b = L - t[0].length)) {
      if (t[1] !== null) repl(w, b, t[1]);
      else if (t[0] === 'ogi') { if (b >= 1 && w[b - 1] === 'l') repl(w, b, 'og'); }
      else if (b >= 1 && LI[w[b - 1]]) w.length = b;
    }

    // Step 3.
    L = w.length;
    t = find(w, L, S3);
    if (t && p1 <= (b = L - t[0].length)) {
      if (t[1] !== null) repl(w, b, t[1]);
      else if (p2 <= b) w.length = b;
    }

    // Step 4.
    L = w.length;
    t = find(w, L, S4);
    if (t && p2 <= (b = L - t[0].length)) {
      if (t[1] !== null) w.length = b;
      else if (b >= 1 && (w[b - 1] === 's' || w[b - 1] === 't')) w.length = b;
    }

    // Step 5.
    L = w.length;
    b = L - 1;
    if (w[b] === 'e') {
      if (p2 <= b || (p1 <= b && !shortv(w, b))) w.length = b;
    } else if (w[b] === 'l') {
      if (p2 <= b && b >= 1 && w[b - 1] === 'l') w.length = b;
    }

    var out = w.join('');
    return yFound ? out.replace(/Y/g, 'y') : out;
  }

  var ALNUM = /[\p{Alphabetic}\p{N}]+/gu, ASCII = /^[\x00-\x7f]*$/;
  function utf8len(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c < 0xdc00) { n += 4; i++; } // surrogate pair (input here is well-formed)
      else n += 3;
    }
    return n;
  }
  // tantivy LowerCaser: char-by-char Rust to_lowercase (no final-sigma context).
  function lower(s) {
    return ASCII.test(s) ? s.toLowerCase() : Array.from(s, function (ch) { return ch.toLowerCase(); }).join('');
  }
  function tokens(text) {
    var m = String(text).match(ALNUM) || [], out = [];
    for (var i = 0; i < m.length; i++) if (utf8len(m[i]) < 40) out.push(stem(lower(m[i])));
    return out;
  }

  globalThis.coeStem = function (word) { return stem(String(word)); };
  globalThis.coeTokens = tokens;
})();
