#!/usr/bin/env python3
"""Fills a migrated, empty gateway SQLite database with a year of figures, to measure what the
dashboard's national view costs (README, "Dashboard: query cost"). Rows carry only what the overview
reads (no personal data: arrival details are empty). Usage: seed-year.py <database> [scale] [gemeententabel.csv]

A year at scale 1: 40,000 arrivals (2,000 open), 80,000 travellers, 6,000 escalations (500 open),
1,500 unannounced reports of 2,500 persons, 200,000 notices (300 unacknowledged over 40 feeds), and
a lag snapshot every 5 minutes (105,120 snapshots, 10 feeds with a backlog in each: 1.16 million rows).
"""
import csv
import random
import sqlite3
import sys
import uuid
from datetime import datetime, timedelta

database = sys.argv[1]
scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
random.seed(20261203)
now = datetime.utcnow().replace(microsecond=0)
start = now - timedelta(days=365)


def at(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def moment_in_year():
    return start + timedelta(seconds=random.randrange(365 * 86400))


with open(sys.argv[3] if len(sys.argv) > 3 else "src/ExchangeGateway.Server/Rules/gemeententabel.csv", encoding="utf-8") as table:
    codes = [row["code"] for row in csv.DictReader(table) if row["valid_until"] == "" and row["code"] not in ("0000", "1999")]
db = sqlite3.connect(database)
db.execute("PRAGMA journal_mode=WAL")

arrivals = []
for i in range(int(40_000 * scale)):
    announced = moment_in_year()
    open_ = i < 2_000 * scale
    state = random.choice([1, 2, 3, 4, 7]) if open_ else 5
    arrivals.append((str(uuid.uuid4()), f"COA-Y-{i}", random.choice(codes), 1, state, "coa", at(announced),
                     (announced + timedelta(days=14)).strftime("%Y-%m-%d"), 1, b""))
db.executemany('INSERT INTO "Arrivals" ("Id","CaseReference","MunicipalityCode","Kind","State","AnnouncedBy","AnnouncedAt",'
               '"ExpectedArrivalDate","Version","Details") VALUES (?,?,?,?,?,?,?,?,?,?)', arrivals)
db.executemany('INSERT INTO "Travellers" ("ArrivalId","VNumber","Position","RegistrationStatus") VALUES (?,?,?,?)',
               [(a[0], str(7_000_000_000 + i * 2 + p), p, 3) for i, a in enumerate(arrivals) for p in range(2)])

escalations = []
for i in range(int(6_000 * scale)):
    arrival = random.choice(arrivals)
    raised = moment_in_year()
    resolved = None if i < 500 * scale else at(min(now, raised + timedelta(hours=random.randrange(1, 200))))
    escalations.append((str(uuid.uuid4()), arrival[0], random.randrange(1, 8), at(raised), "seeded", resolved))
db.executemany('INSERT INTO "Escalations" ("Id","ArrivalId","Kind","RaisedAt","Description","ResolvedAt") VALUES (?,?,?,?,?,?)', escalations)

persons = []
reports = []
for i in range(int(1_500 * scale)):
    report = str(uuid.uuid4())
    reported = moment_in_year()
    reports.append((report, random.choice(codes), "gemeente", at(reported), reported.strftime("%Y-%m-%d")))
    for p in range(1 + (i % 3 == 0)):
        persons.append((report, p, str(8_000_000_000 + i * 3 + p), 1))
db.executemany('INSERT INTO "UnannouncedReports" ("Id","MunicipalityCode","ReportedBy","ReportedAt","ArrivedOn") VALUES (?,?,?,?,?)', reports)
db.executemany('INSERT INTO "UnannouncedPersons" ("ReportId","Position","VNumber","Match") VALUES (?,?,?,?)', persons)

feeds = {}
notices = []
backlog = set(random.sample(codes, 40))
for i in range(int(200_000 * scale)):
    code = random.choice(codes)
    feed = f"municipality:{code}"
    feeds[feed] = feeds.get(feed, 0) + 1
    created = moment_in_year()
    acknowledged = None if (code in backlog and random.random() < 0.02) else at(created + timedelta(seconds=2))
    notices.append((feed, feeds[feed], str(uuid.uuid4()), "arrival.announced", "seeded", at(created), acknowledged, b""))
db.executemany('INSERT INTO "Notices" ("FeedId","Sequence","NoticeId","Type","Subject","CreatedAt","AcknowledgedAt","Body") VALUES (?,?,?,?,?,?,?,?)', notices)
db.executemany('INSERT INTO "Feeds" ("Id","HeadSequence") VALUES (?,?)', list(feeds.items()))

snapshots = []
taken = start.replace(second=0, minute=start.minute - start.minute % 5)
while taken <= now:
    feeds_now = [(f"municipality:{code}", random.randrange(1, 50), taken - timedelta(minutes=random.randrange(1, 600)))
                 for code in random.sample(sorted(backlog), 10)]
    # The marker row carries the totals (as FeedStatusReporter writes them; stale: older than an hour).
    oldest_now = min(f[2] for f in feeds_now)
    snapshots.append((at(taken), "*", sum(f[1] for f in feeds_now), at(oldest_now), int((taken - oldest_now).total_seconds()), len(feeds_now),
                      sum(1 for f in feeds_now if taken - f[2] > timedelta(hours=1))))
    snapshots.extend((at(taken), feed, count, at(oldest), int((taken - oldest).total_seconds()), 0, 0) for feed, count, oldest in feeds_now)
    taken += timedelta(minutes=5)
db.executemany('INSERT OR IGNORE INTO "FeedLagSnapshots" ("TakenAt","FeedId","UnacknowledgedNotices","OldestUnacknowledgedAt","OldestUnacknowledgedAgeSeconds","FeedsWithBacklog","StaleFeeds") '
               'VALUES (?,?,?,?,?,?,?)', snapshots)
db.commit()
db.execute("ANALYZE")
db.commit()
print(f"seeded {len(arrivals)} arrivals, {len(escalations)} escalations, {len(reports)} reports, {len(notices)} notices, {len(snapshots)} lag snapshot rows")
