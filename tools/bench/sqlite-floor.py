#!/usr/bin/env python3
"""What SQLite alone costs per announcement with the gateway's schema: a lower bound for the write path.

Replays the rows a real announcement writes (arrival, request record, history, two travellers, audit
record, three audit subjects, two notices, two feed heads), copied from a database that `exgw bench
--keep` left behind, into a fresh database with the same schema and the gateway's pragmas
(WAL, synchronous=FULL, secure_delete, no autocheckpoint), one transaction per batch, one executemany
per table (the best case of "statements per table per batch"), from C through Python's sqlite3: no gRPC,
no validation, no audit keys, no managed binding. Prints announcements/s on one thread, CPU per
announcement and log pages per announcement.

    python3 tools/bench/sqlite-floor.py BENCH_DB [N] [BATCH] [ckpt]
    DROP=IX_AuditSubjects_Subject python3 tools/bench/sqlite-floor.py ...   # leave indexes out (comma list of name prefixes)
"""
import os
import sqlite3
import sys
import time

source = sqlite3.connect(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
checkpoint = len(sys.argv) > 4 and sys.argv[4] == 'ckpt'
drop = [d for d in os.environ.get('DROP', '').split(',') if d]

per = {'Arrivals': 1, 'IdempotencyRecords': 1, 'ArrivalHistory': 1, 'Travellers': 2, 'AuditRecords': 1, 'AuditSubjects': 3, 'Notices': 2}
data = {t: source.execute(f'SELECT * FROM "{t}" ORDER BY rowid LIMIT ?', (count * k,)).fetchall() for t, k in per.items()}
feeds = source.execute('SELECT * FROM "Feeds"').fetchall()
schema = [r[0] for r in source.execute(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC")]

target = 'sqlite-floor.db'
for suffix in ('', '-wal', '-shm'):
    if os.path.exists(target + suffix):
        os.remove(target + suffix)
db = sqlite3.connect(target, isolation_level=None)
for pragma in ('journal_mode=WAL', 'synchronous=FULL', 'wal_autocheckpoint=0', 'secure_delete=ON', 'cache_size=-32768'):
    db.execute('PRAGMA ' + pragma)
for statement in schema:
    if not any(statement.split('(')[0].find(d) >= 0 for d in drop):
        db.execute(statement)
db.executemany('INSERT INTO "Feeds" VALUES (' + ','.join('?' * len(feeds[0])) + ')', [(f[0], 0) + tuple(f[2:]) for f in feeds])
inserts = {t: f'INSERT INTO "{t}" VALUES (' + ','.join('?' * len(data[t][0])) + ')' for t in per}

wall, cpu = time.time(), time.process_time()
for start in range(0, count, batch):
    db.execute('BEGIN')
    for table, k in per.items():
        db.executemany(inserts[table], data[table][start * k:(start + batch) * k])
    db.execute('UPDATE "Feeds" SET "HeadSequence" = "HeadSequence" + 1 WHERE "Id" IN (?, ?)', ('ind', feeds[start % len(feeds)][0]))
    db.execute('COMMIT')
    if checkpoint:
        db.execute('PRAGMA wal_checkpoint(PASSIVE)')
wall, cpu = time.time() - wall, time.process_time() - cpu
pages = os.path.getsize(target + '-wal') / count / db.execute('PRAGMA page_size').fetchone()[0]
print(f'{count} announcements, batch {batch}, checkpoint {checkpoint}, without {drop or "nothing"}: '
      f'{count / wall:,.0f}/s on one thread, CPU {cpu / count * 1000:.3f} ms per announcement, {pages:.1f} log pages per announcement')
