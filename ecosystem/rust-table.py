#!/usr/bin/env python3
# The Rust before/after tables of baseline-rust.md and results-rust.md (helper "rust").
# usage: stats.py LEDGER RESULTDIR [repos...]  -- RESULTDIR holds <owner+name>.json and .305.json
# precision = true / (true + false) over this run's TL302/TL304 findings;
# recall = real problems this run reports / every real problem judged for the repo
#          (ledger rows `true` or `missed`, from any run), so before and after share one denominator.
import json, sys, os, collections
ledger, rdir = sys.argv[1], sys.argv[2]
rows = {}
real = collections.defaultdict(set)
for line in open(ledger):
    if line.startswith(('repo\t', '#')) or not line.strip(): continue
    repo, path, ln, code, verdict, reason = line.rstrip('\n').split('\t')
    rows[(repo, path, int(ln), code)] = verdict
    if verdict in ('true', 'missed') and code in ('TL302', 'TL304'):
        real[repo].add((path, int(ln), code))
repos = sys.argv[3:]
def load(f):
    if not os.path.exists(f): return []
    return [(d['path'], d['range']['start']['line'], d['code']) for d in json.load(open(f))['diagnostics']]
tot = collections.Counter()
print('| repo | findings | true | false | intended | unjudged | precision | real problems reported | recall | TL305 true/false/intended/unjudged |')
print('|---|---|---|---|---|---|---|---|---|---|')
for repo in repos:
    key = repo.replace('/', '+')
    fs = [f for f in load(f'{rdir}/{key}.json') if f[2] in ('TL302','TL304')]
    c = collections.Counter()
    for p, l, code in fs:
        v = rows.get((repo, p, l, code), 'unjudged')
        if v == 'missed': v = 'true'
        c[v] += 1
        if v == 'unjudged': print(f'  UNJUDGED {repo}\t{p}\t{l}\t{code}', file=sys.stderr)
    found = real[repo] & set(fs)
    tp, fp = c['true'], c['false']
    prec = f'{tp/(tp+fp):.0%}' if tp+fp else '–'
    n = len(real[repo])
    rec = f'{len(found)/n:.0%}' if n else '–'
    t5 = collections.Counter(rows.get((repo,p,l,code),'unjudged') for p,l,code in load(f'{rdir}/{key}.305.json') if code=='TL305')
    print(f"| {repo} | {len(fs)} | {tp} | {fp} | {c['intended']} | {c['unjudged']} | {prec} | {len(found)}/{n} | {rec} | {t5['true']}/{t5['false']}/{t5['intended']}/{t5['unjudged']} |")
    for m in sorted(real[repo] - found): print(f'  NOT REPORTED {repo}\t{m}', file=sys.stderr)
    tot['f']+=len(fs); tot['t']+=tp; tot['fp']+=fp; tot['i']+=c['intended']; tot['u']+=c['unjudged']; tot['found']+=len(found); tot['real']+=n
    for k in ('true','false','intended','unjudged'): tot['5'+k]+=t5[k]
t=tot
p = f"{t['t']/(t['t']+t['fp']):.1%}" if t['t']+t['fp'] else '–'
r = f"{t['found']/t['real']:.1%}" if t['real'] else '–'
print(f"| **total** | {t['f']} | {t['t']} | {t['fp']} | {t['i']} | {t['u']} | {p} | {t['found']}/{t['real']} | {r} | {t['5true']}/{t['5false']}/{t['5intended']}/{t['5unjudged']} |")
