#!/usr/bin/env python3
"""Relevance of `coe search` and `coe similar` against plain baselines, over the relevance
library: the sample library (content/) plus tests/fixtures/relevance/.

    python3 bench/relevance.py [--coe target/release/coe] [--verbose]

Search: every query of tests/relevance.tsv, success@5 (the expected COE in the top five) and
MRR (over the top ten), for coe and for a plain stemmed BM25 (Porter stemmer, k1 1.2, b 0.75,
one field: title and Markdown body, no stop words, no synonyms), by query kind.

Similar: for every COE of every group of tests/similar-groups.tsv, hit@5 (another member of
its group in the top five), recall@5 (the share of its group found in the top five) and MRR
of the first group member, for `coe similar` and for a plain TF-IDF cosine over the same
tokens (log tf × idf, all words).

Pure Python; the baselines are written here so that both sides read the same files.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- Porter stemmer (M. F. Porter, 1980), the classic algorithm -----------------------------

def _cons(w, i):
    c = w[i]
    if c in "aeiou":
        return False
    if c == "y":
        return i == 0 or not _cons(w, i - 1)
    return True


def _m(stem):
    n, i, L = 0, 0, len(stem)
    while i < L and _cons(stem, i):
        i += 1
    while i < L:
        while i < L and not _cons(stem, i):
            i += 1
        if i >= L:
            break
        while i < L and _cons(stem, i):
            i += 1
        n += 1
    return n


def _has_vowel(stem):
    return any(not _cons(stem, i) for i in range(len(stem)))


def _double_c(w):
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _cvc(w):
    if len(w) < 3:
        return False
    return _cons(w, len(w) - 3) and not _cons(w, len(w) - 2) and _cons(w, len(w) - 1) and w[-1] not in "wxy"


def _replace(w, suffixes, cond):
    for suf, rep in suffixes:
        if w.endswith(suf):
            stem = w[: len(w) - len(suf)]
            return stem + rep if cond(stem) else w
    return w


def porter(w):
    if len(w) <= 2 or not w.isalpha() or not w.isascii():
        return w
    # 1a
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # 1b
    flag = False
    if w.endswith("eed"):
        if _m(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w, flag = w[:-2], True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w, flag = w[:-3], True
    if flag:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _double_c(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _m(w) == 1 and _cvc(w):
            w += "e"
    # 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # 2
    w = _replace(w, [("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
                     ("izer", "ize"), ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
                     ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
                     ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
                     ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")], lambda s: _m(s) > 0)
    # 3
    w = _replace(w, [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
                     ("ful", ""), ("ness", "")], lambda s: _m(s) > 0)
    # 4
    for suf in ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
                "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"):
        if w.endswith(suf):
            stem = w[: len(w) - len(suf)]
            if _m(stem) > 1 and (suf != "ion" or stem.endswith(("s", "t"))):
                w = stem
            break
    # 5
    if w.endswith("e"):
        stem = w[:-1]
        if _m(stem) > 1 or (_m(stem) == 1 and not _cvc(stem)):
            w = stem
    if _m(w) > 1 and _double_c(w) and w.endswith("l"):
        w = w[:-1]
    return w


TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text):
    return [porter(t.lower()) for t in TOKEN.findall(text) if len(t.encode()) < 40]


# --- the library ------------------------------------------------------------------------------

def library_files(root):
    for base in (os.path.join(ROOT, "content"), os.path.join(ROOT, "tests/fixtures/relevance/content")):
        for d, _, files in os.walk(base):
            for f in sorted(files):
                if f.endswith(".md"):
                    yield os.path.join(d, f)


def read_doc(path):
    text = open(path, encoding="utf-8").read()
    fm, body = "", text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        fm, body = text[3:end], text[end + 4:]
    status = re.search(r"^status:\s*(\S+)", fm, re.M)
    if status and status.group(1) != "published":
        return None
    ident = re.search(r"^id:\s*(.+)$", fm, re.M).group(1).strip().strip('"')
    title = re.search(r"^title:\s*(.+)$", fm, re.M).group(1).strip().strip('"')
    return ident, title + "\n" + body


class BM25:
    def __init__(self, docs, k1=1.2, b=0.75):
        self.ids = list(docs)
        self.tf = [Counter(tokens(docs[i])) for i in self.ids]
        self.len = [sum(t.values()) for t in self.tf]
        self.avg = sum(self.len) / len(self.len)
        self.df = Counter(t for tf in self.tf for t in tf)
        self.n, self.k1, self.b = len(self.ids), k1, b

    def search(self, q, k=10):
        scores = []
        for d, tf in enumerate(self.tf):
            s = 0.0
            for t in tokens(q):
                f = tf.get(t, 0)
                if f:
                    idf = math.log(1 + (self.n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                    s += idf * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * self.len[d] / self.avg))
            if s > 0:
                scores.append((-s, self.ids[d]))
        return [i for _, i in sorted(scores)[:k]]


class TfIdf:
    def __init__(self, docs):
        self.ids = list(docs)
        tfs = [Counter(tokens(docs[i])) for i in self.ids]
        df = Counter(t for tf in tfs for t in tf)
        n = len(self.ids)
        self.vec = []
        for tf in tfs:
            v = {t: (1 + math.log(f)) * math.log(n / df[t]) for t, f in tf.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            self.vec.append({t: x / norm for t, x in v.items()})

    def similar(self, ident, k=5):
        i = self.ids.index(ident)
        q = self.vec[i]
        scores = []
        for j, v in enumerate(self.vec):
            if j != i:
                scores.append((-sum(w * v.get(t, 0.0) for t, w in q.items()), self.ids[j]))
        return [x for _, x in sorted(scores)[:k]]


def rr(ranked, want):
    for n, i in enumerate(ranked[:10]):
        if i in want:
            return 1.0 / (n + 1)
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coe", default=os.path.join(ROOT, "target/release/coe"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--distractors", type=int, default=0,
                    help="add this many synthetic COEs (gen-corpus.py --seed 1) to the library")
    ap.add_argument("--gen", default=os.path.join(os.path.dirname(ROOT), "shared/tools/gen-corpus.py"))
    args = ap.parse_args()

    site = tempfile.mkdtemp(prefix="coe-relevance-")
    try:
        shutil.copytree(os.path.join(ROOT, "content"), os.path.join(site, "content/sample"))
        shutil.copytree(os.path.join(ROOT, "tests/fixtures/relevance/content"), os.path.join(site, "content/relevance"))
        shutil.copy(os.path.join(ROOT, "coe.toml"), os.path.join(site, "coe.toml"))
        docs = dict(d for d in (read_doc(p) for p in library_files(ROOT)) if d)
        if args.distractors:
            out = os.path.join(site, "content/synthetic")
            subprocess.run([sys.executable, args.gen, "--count", str(args.distractors), "--out", out, "--seed", "1"],
                           check=True, capture_output=True)
            for d, _, files in os.walk(out):
                for f in files:
                    if f.endswith(".md"):
                        doc = read_doc(os.path.join(d, f))
                        if doc:
                            docs[doc[0]] = doc[1]
        subprocess.run([args.coe, "build", "--root", site, "--output", os.path.join(site, "public")],
                       check=True, capture_output=True)

        queries = []
        for line in open(os.path.join(ROOT, "tests/relevance.tsv"), encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            want, kind, q = (parts[0], parts[1], parts[2]) if len(parts) >= 3 else (parts[0], "symptom", parts[1])
            queries.append((want, kind, q))
        bm25 = BM25(docs)
        table = defaultdict(lambda: {"coe": [0, 0.0, 0], "bm25": [0, 0.0, 0], "n": 0})
        misses = []
        for want, kind, q in queries:
            out = subprocess.run([args.coe, "search", "--json", "--limit", "10", "--root", site, q],
                                 capture_output=True, text=True, check=True)
            got = [h["id"] for h in json.loads(out.stdout)["hits"]]
            base = bm25.search(q)
            for k in (kind, "all"):
                row = table[k]
                row["n"] += 1
                for name, ranked in (("coe", got), ("bm25", base)):
                    row[name][0] += want in ranked[:5]
                    row[name][1] += rr(ranked, {want})
                    row[name][2] += ranked[:1] == [want]
            if want not in got[:5] or args.verbose:
                misses.append(f"  {want} {'ok ' if want in got[:5] else 'MISS'} coe {got[:5]} bm25 {base[:5]}: {q}")
        print(f"Search: {len(queries)} queries over {len(docs)} COEs")
        print("| queries | n | coe success@1 | BM25 success@1 | coe success@5 | BM25 success@5 | coe MRR | BM25 MRR |")
        print("|---|---|---|---|---|---|---|---|")
        for kind in ("symptom", "long", "title", "all"):
            r = table[kind]
            if r["n"]:
                n = r["n"]
                print(f"| {kind} | {n} | {r['coe'][2]}/{n} | {r['bm25'][2]}/{n} | {r['coe'][0]}/{n} ({r['coe'][0] / n:.2f}) | {r['bm25'][0]}/{n} ({r['bm25'][0] / n:.2f}) "
                      f"| {r['coe'][1] / n:.3f} | {r['bm25'][1] / n:.3f} |")
        if misses:
            print("\n".join(misses))

        groups = []
        for line in open(os.path.join(ROOT, "tests/similar-groups.tsv"), encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            name, ids = line.rstrip("\n").split("\t")
            groups.append((name, ids.split()))
        tfidf = TfIdf(docs)
        s = {"coe": [0, 0.0, 0.0], "tfidf": [0, 0.0, 0.0]}
        total = 0
        smisses = []
        for name, ids in groups:
            for i in ids:
                mates = set(ids) - {i}
                out = subprocess.run([args.coe, "similar", "--json", "--limit", "10", "--root", site, i],
                                     capture_output=True, text=True, check=True)
                got = [x["id"] for x in json.loads(out.stdout)["similar"]]
                base = tfidf.similar(i, 10)
                total += 1
                for key, ranked in (("coe", got), ("tfidf", base)):
                    top = set(ranked[:5])
                    s[key][0] += bool(top & mates)
                    s[key][1] += len(top & mates) / min(len(mates), 5)
                    s[key][2] += rr(ranked, mates)
                if not set(got[:5]) & mates or args.verbose:
                    smisses.append(f"  {i} ({name}) coe {got[:5]} tfidf {base[:5]}")
        print(f"\nSimilar: {len(groups)} groups, {total} COEs")
        print("| | hit@5 | recall@5 | MRR |")
        print("|---|---|---|---|")
        for key, label in (("coe", "coe similar"), ("tfidf", "TF-IDF cosine")):
            h, r, m = s[key]
            print(f"| {label} | {h}/{total} ({h / total:.2f}) | {r / total:.2f} | {m / total:.3f} |")
        if smisses:
            print("\n".join(smisses))
    finally:
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
