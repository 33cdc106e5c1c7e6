#!/usr/bin/env python3
"""The search page and `coe search` on any built library: for each query (one a line in
QUERIES), the top five COEs of the page (headless Chromium, the site served from ROOT/public)
and of `coe search --json --limit 5`, compared in order.

    python3 bench/agreement.py ROOT path/to/coe QUERIES

Prints OK or DIFF per query and how many differ (docs/search.md#the-page-and-the-cli).
"""
import json, subprocess, sys, re, urllib.parse, http.server, threading, functools, tempfile, os
root, coe = sys.argv[1], sys.argv[2]
qs = [l.strip() for l in open(sys.argv[3]) if l.strip()]
class Q(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
h = functools.partial(Q, directory=os.path.join(root, 'public'))
srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
threading.Thread(target=srv.serve_forever, daemon=True).start()
port = srv.server_address[1]
diff = 0
for q in qs:
    with tempfile.TemporaryDirectory() as prof:
        dom = subprocess.run(['chromium','--headless','--no-sandbox','--disable-gpu','--no-first-run',f'--user-data-dir={prof}','--virtual-time-budget=8000','--dump-dom',f'http://127.0.0.1:{port}/search/?q={urllib.parse.quote(q)}'],capture_output=True,text=True).stdout
    page = []
    for hit in dom.split('<li class="search-hit">')[1:]:
        m = re.search(r'/coe/([^/"]+)/', hit)
        if m: page.append(m.group(1))
    page = page[:5]
    cli = json.loads(subprocess.run([coe,'search','--json','--limit','5','-r',root,q],capture_output=True,text=True).stdout)
    cl = [h['id'].lower() for h in cli['hits']]
    ok = page == cl
    diff += not ok
    print('OK ' if ok else 'DIFF', q, '' if ok else f'page={page} cli={cl}')
print('differ', diff, 'of', len(qs))
