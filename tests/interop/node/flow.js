#!/usr/bin/env node
// Interoperability check: drives the exchange gateway's whole arrival flow from Node.js with
// @grpc/grpc-js over mutual TLS, using nothing but the published contracts in protos/exchange/v1.
//
//   node flow.js <gateway address> <certificate directory>
//
// The address is what the gateway prints ("https://127.0.0.1:5443" or "127.0.0.1:5443"). The
// certificate directory is a development PKI from `exgw certs init` (ca.crt, coa.crt/.key,
// gemeente-amsterdam.crt/.key, ind.crt/.key). Exits 0 and prints a summary when the arrival reaches
// ARRIVAL_STATE_COMPLETED; exits non-zero with a message on any error or after 60 s.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const GLOBAL_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 15_000;
const PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'protos');
const PROTO_DIR = path.join(PROTO_ROOT, 'exchange', 'v1');

const T = {
  announced: 'nl.asielketen.aankomst-aangekondigd',
  received: 'nl.asielketen.aankondiging-ontvangen',
  departed: 'nl.asielketen.vertrek-gemeld',
  arrived: 'nl.asielketen.aankomst-gemeld',
  registration: 'nl.asielketen.inschrijving-gemeld',
  bsn: 'nl.asielketen.bsn-toegekend',
};

const watchdog = setTimeout(() => fail(`the flow did not finish within ${GLOBAL_TIMEOUT_MS / 1000} s`), GLOBAL_TIMEOUT_MS);

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

function log(who, message) {
  console.log(`[${who}] ${message}`);
}

// Two warnings are expected and not printed; every other warning is, on one line.
// - google/protobuf/timestamp.proto is not in the repository: proto-loader falls back to the
//   well-known types bundled with protobufjs, after warning that it is not in the include paths.
// - DEP0123: grpc-js passes an IP-address target (127.0.0.1) on as TLS ServerName, which Node
//   ignores with a deprecation warning; the server certificate is still checked against the IP.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const expected = warning.code === 'DEP0123'
    || /google\/protobuf\/[a-z_]+\.proto not found in any of the include paths/.test(warning.message);
  if (!expected) {
    console.warn(`warning: ${warning.name}: ${warning.message}`);
  }
});

function loadContracts() {
  const files = fs.readdirSync(PROTO_DIR).filter((f) => f.endsWith('.proto')).map((f) => path.join(PROTO_DIR, f));
  if (files.length === 0) {
    throw new Error(`no .proto files in ${PROTO_DIR}`);
  }
  const definition = protoLoader.loadSync(files, {
    includeDirs: [PROTO_ROOT],
    keepCase: true, // field names as in the .proto files (request_id, municipality_code)
    enums: String, // enum values by name (ARRIVAL_STATE_COMPLETED)
    longs: String, // uint64 sequences as decimal strings
    defaults: true,
    oneofs: true, // the oneof's case name in a virtual field (event, payload, action)
  });
  return grpc.loadPackageDefinition(definition).exchange.v1;
}

function target(address) {
  return address.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

function credentials(certificates, organisation) {
  const read = (name) => fs.readFileSync(path.join(certificates, name));
  return grpc.credentials.createSsl(read('ca.crt'), read(`${organisation}.key`), read(`${organisation}.crt`));
}

function unary(client, method, request, who) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => {
      if (error) {
        reject(new Error(`${who} ${method}: ${grpc.status[error.code] ?? error.code} ${error.details ?? error.message}`));
      } else {
        resolve(response);
      }
    });
  });
}

/** Opens an organisation's feed, acknowledges every notice it receives, and lets the caller wait for
 *  a notice and for the gateway's confirmation of its acknowledgement. */
function openFeed(NoticeFeed, address, creds, who, open = {}) {
  const client = new NoticeFeed(address, creds);
  const call = client.Subscribe();
  const seen = [];
  const waiters = [];
  const confirmations = new Map();
  let closing = false;
  let failure = null;

  const confirmation = (sequence) => {
    let entry = confirmations.get(sequence);
    if (!entry) {
      entry = {};
      entry.promise = new Promise((resolve) => { entry.resolve = resolve; });
      confirmations.set(sequence, entry);
    }
    return entry;
  };
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      const notice = seen.find(waiter.predicate);
      if (notice) {
        waiters.splice(i, 1);
        waiter.resolve(notice);
      } else if (failure) {
        waiters.splice(i, 1);
        waiter.reject(failure);
      }
    }
  };

  call.on('data', (message) => {
    switch (message.event) {
      case 'opened':
        log(who, `feed ${message.opened.feed} open: head ${message.opened.head_sequence}, ${message.opened.unacknowledged_count} unacknowledged`);
        break;
      case 'notice': {
        const notice = message.notice;
        if (seen.some((n) => n.notice_id === notice.notice_id)) {
          return; // a redelivery
        }
        seen.push(notice);
        log(who, `#${notice.sequence} ${notice.type} (${notice.payload})`);
        confirmation(notice.sequence);
        call.write({ acknowledge: { sequences: [notice.sequence] } });
        settle();
        break;
      }
      case 'acknowledged':
        for (const sequence of [...message.acknowledged.sequences, ...message.acknowledged.unknown_sequences]) {
          confirmation(String(sequence)).resolve();
        }
        break;
      default:
        break;
    }
  });
  call.on('error', (error) => {
    if (!closing) {
      failure = new Error(`${who} feed: ${grpc.status[error.code] ?? error.code} ${error.details ?? error.message}`);
      settle();
    }
  });
  call.on('end', () => {
    if (!closing) {
      failure = failure ?? new Error(`${who} feed: the gateway ended the stream`);
      settle();
    }
  });
  call.write({ open });

  return {
    /** Resolves with the first notice (already received or still to come) that matches. */
    waitFor(type, subject) {
      return new Promise((resolve, reject) => {
        waiters.push({ predicate: (n) => n.type === type && n.subject === subject, resolve, reject });
        settle();
      });
    },
    /** Resolves once the gateway confirmed the acknowledgement of this notice as durable. */
    acknowledged(notice) {
      return confirmation(notice.sequence).promise;
    },
    close() {
      closing = true;
      call.cancel();
      client.close();
    },
  };
}

/** A 10-digit V-number (format only; no public check digit). */
function newVNumber() {
  return String(crypto.randomInt(1_000_000_000, 10_000_000_000));
}

/** A BSN that passes the 11-proef: weights 9..2 on the first eight digits, -1 on the last. */
function newBsn() {
  for (;;) {
    const base = String(crypto.randomInt(10_000_000, 100_000_000)); // 8 digits, first not 0
    const sum = [...base].reduce((total, digit, i) => total + (9 - i) * Number(digit), 0);
    const check = sum % 11;
    if (check < 10) {
      return base + String(check);
    }
  }
}

/** Today's date in the Europe/Amsterdam calendar, plus some days, as an exchange.v1.Date. */
function amsterdamDate(plusDays = 0) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(new Date()).map((p) => [p.type, Number(p.value)]));
  const date = new Date(Date.UTC(parts.year, parts.month - 1, parts.day + plusDays));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** Announces an arrival the gateway must refuse and returns its BadRequest's first violation,
 *  decoded from the trailer with protos/google/rpc/{status,error_details}.proto. */
async function refusedAnnouncement(arrivals, details) {
  const root = new protobuf.Root().loadSync([path.join(PROTO_ROOT, 'google', 'rpc', 'status.proto'), path.join(PROTO_ROOT, 'google', 'rpc', 'error_details.proto')], { keepCase: true });
  const Status = root.lookupType('google.rpc.Status');
  const error = await new Promise((resolve) => {
    arrivals.AnnounceArrival({ request_id: crypto.randomUUID(), arrival: details }, { deadline: Date.now() + CALL_TIMEOUT_MS }, (e) => resolve(e));
  });
  if (!error || error.code !== grpc.status.INVALID_ARGUMENT) {
    throw new Error(`expected INVALID_ARGUMENT, got ${error ? grpc.status[error.code] : 'OK'}`);
  }
  const [bytes] = error.metadata.get('grpc-status-details-bin');
  if (!bytes) {
    throw new Error('the refusal carries no grpc-status-details-bin');
  }
  const status = Status.decode(bytes);
  const detail = status.details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.BadRequest');
  if (!detail) {
    throw new Error(`no google.rpc.BadRequest among ${status.details.map((d) => d.type_url).join(', ')}`);
  }
  const badRequest = root.lookupType('google.rpc.BadRequest').decode(detail.value);
  const [violation] = badRequest.field_violations;
  return `google.rpc.BadRequest: ${violation.field} ${violation.description}`;
}

async function main() {
  const [address, certificates] = process.argv.slice(2);
  if (!address || !certificates) {
    throw new Error('usage: node flow.js <gateway address> <certificate directory>');
  }
  const v1 = loadContracts();
  const host = target(address);
  const coaCreds = credentials(certificates, 'coa');
  const amsterdamCreds = credentials(certificates, 'gemeente-amsterdam');
  const indCreds = credentials(certificates, 'ind');
  const arrivals = new v1.ArrivalService(host, coaCreds);
  const municipality = new v1.MunicipalityService(host, amsterdamCreds);
  const ind = new v1.IndService(host, indCreds);
  const feeds = [];

  try {
    // COA announces a family joining a referent in Amsterdam (0363).
    const travellers = [
      { v_number: newVNumber(), name: { given_names: 'Selam', surname: 'Tesfay' }, birth_date: { year: 1992, month: 0, day: 0 }, sex: 'SEX_FEMALE', nationality: 'ERI', relation: 'RELATION_SPOUSE' },
      { v_number: newVNumber(), name: { given_names: 'Dawit', surname: 'Tesfay' }, birth_date: { year: 2016, month: 4, day: 0 }, sex: 'SEX_MALE', nationality: 'ERI', relation: 'RELATION_CHILD' },
    ];
    const details = {
      kind: 'ARRIVAL_KIND_FAMILY_REUNIFICATION',
      municipality_code: '0363',
      destination_address: { street: 'Kolenkitbuurt', house_number: 12, postal_code: '1055AB', city: 'Amsterdam' },
      referent: { v_number: newVNumber(), name: { given_names: 'Yonas', surname: 'Tesfay' } },
      travellers,
      expected_arrival_date: amsterdamDate(14),
      case_reference: `NODE-${crypto.randomUUID().slice(0, 8)}`,
    };
    const announced = (await unary(arrivals, 'AnnounceArrival', { request_id: crypto.randomUUID(), arrival: details }, 'coa')).arrival;
    const id = announced.arrival_id;
    log('coa', `announced ${details.case_reference} to 0363 -> arrival ${id} (${announced.state})`);

    // Amsterdam holds its feed, receives the announcement and acknowledges it.
    const amsterdamFeed = openFeed(v1.NoticeFeed, host, amsterdamCreds, 'gemeente-amsterdam');
    feeds.push(amsterdamFeed);
    const coaFeed = openFeed(v1.NoticeFeed, host, coaCreds, 'coa');
    feeds.push(coaFeed);
    const announcement = await amsterdamFeed.waitFor(T.announced, id);
    if (announcement.payload !== 'arrival_announced' || announcement.arrival_announced.details.case_reference !== details.case_reference) {
      throw new Error(`unexpected announcement: ${JSON.stringify(announcement)}`);
    }
    await amsterdamFeed.acknowledged(announcement);
    log('gemeente-amsterdam', `acknowledged #${announcement.sequence}; the gateway confirmed it`);
    const receipt = await coaFeed.waitFor(T.received, id);
    log('coa', `received by municipality ${receipt.announcement_received.municipality_code}`);

    // COA reports departure and arrival; Amsterdam sees both.
    log('coa', `departure reported -> ${(await unary(arrivals, 'ReportDeparture', { request_id: crypto.randomUUID(), arrival_id: id }, 'coa')).arrival.state}`);
    log('coa', `arrival reported -> ${(await unary(arrivals, 'ReportTravellersArrived', { request_id: crypto.randomUUID(), arrival_id: id }, 'coa')).arrival.state}`);
    await amsterdamFeed.waitFor(T.arrived, id);

    // Amsterdam registers the travellers in the BRP and reports their BSNs.
    const today = amsterdamDate(0);
    const registered = (await unary(municipality, 'ReportRegistration', {
      request_id: crypto.randomUUID(),
      arrival_id: id,
      registrations: travellers.map((t) => ({ v_number: t.v_number, status: 'REGISTRATION_STATUS_REGISTERED', registered_on: today })),
    }, 'gemeente-amsterdam')).arrival;
    log('gemeente-amsterdam', `registration reported -> ${registered.travellers.map((t) => t.registration_status).join(', ')}`);
    const bsns = new Map(travellers.map((t) => [t.v_number, newBsn()]));
    const assigned = (await unary(municipality, 'ReportBsnAssigned', {
      request_id: crypto.randomUUID(),
      arrival_id: id,
      assignments: travellers.map((t) => ({ v_number: t.v_number, bsn: bsns.get(t.v_number) })),
    }, 'gemeente-amsterdam')).arrival;
    log('gemeente-amsterdam', `BSNs reported -> ${assigned.state}`);

    // COA is told; the IND finds the BSN by V-number.
    await coaFeed.waitFor(T.registration, id);
    const bsnNotice = await coaFeed.waitFor(T.bsn, id);
    log('coa', `told of ${bsnNotice.bsn_assigned.travellers.length} BSN(s)`);
    const lookup = await unary(ind, 'LookupTraveller', { v_number: travellers[0].v_number }, 'ind');
    const record = lookup.records.find((r) => r.arrival_id === id);
    if (!record || record.bsn !== bsns.get(travellers[0].v_number) || record.registration_status !== 'REGISTRATION_STATUS_REGISTERED') {
      throw new Error(`IND lookup does not show the registration and BSN: ${JSON.stringify(lookup)}`);
    }
    log('ind', `lookup of ${travellers[0].v_number}: ${record.municipality_code}, ${record.arrival_state}, BSN known`);

    // The nareizigers report to the IND; that completes the arrival.
    for (const t of travellers) {
      const checkedIn = (await unary(ind, 'ReportCheckIn', { request_id: crypto.randomUUID(), v_number: t.v_number }, 'ind')).record;
      log('ind', `check-in of ${t.v_number} -> ${checkedIn.traveller_state}`);
    }

    // A refusal, decoded from grpc-status-details-bin with the google.rpc protos shipped in protos/.
    const refusal = await refusedAnnouncement(arrivals, { ...details, case_reference: `${details.case_reference}-X`, travellers: [{ ...travellers[0], v_number: '12345' }] });
    log('coa', `refused as expected: ${refusal}`);

    // A certificate of a CA the gateway does not trust (the test PKI's foreign/ directory, when there
    // is one): a refusal grpc-js recognises, UNAUTHENTICATED with the reason, not an outage (UNAVAILABLE).
    const foreign = path.join(certificates, 'foreign');
    if (fs.existsSync(path.join(foreign, 'coa.crt'))) {
      const read = (name) => fs.readFileSync(path.join(foreign, name));
      const impostor = new v1.GatewayService(host, grpc.credentials.createSsl(fs.readFileSync(path.join(certificates, 'ca.crt')), read('coa.key'), read('coa.crt')));
      const error = await new Promise((resolve) => {
        impostor.Ping({}, { deadline: Date.now() + CALL_TIMEOUT_MS }, (e) => resolve(e));
      });
      impostor.close();
      if (!error || error.code !== grpc.status.UNAUTHENTICATED) {
        throw new Error(`a foreign certificate: expected UNAUTHENTICATED, got ${error ? `${grpc.status[error.code]} ${error.details}` : 'OK'}`);
      }
      log('impostor', `foreign certificate refused: UNAUTHENTICATED ${error.details}`);
    }

    // The arrival is complete.
    const final = (await unary(arrivals, 'GetArrival', { arrival_id: id }, 'coa')).arrival;
    if (final.state !== 'ARRIVAL_STATE_COMPLETED') {
      throw new Error(`GetArrival: expected ARRIVAL_STATE_COMPLETED, got ${final.state}`);
    }
    const missing = final.travellers.filter((t) => t.bsn !== bsns.get(t.v_number));
    if (missing.length > 0) {
      throw new Error(`GetArrival: wrong or missing BSN for ${missing.map((t) => t.v_number).join(', ')}`);
    }
    console.log(`OK: arrival ${id} (${details.case_reference}) ${final.state}; ${final.travellers.length} traveller(s) registered with a BSN; `
      + `${final.history.length} history entries; grpc-js ${require('@grpc/grpc-js/package.json').version}, node ${process.version}`);
  } finally {
    for (const feed of feeds) {
      feed.close();
    }
    arrivals.close();
    municipality.close();
    ind.close();
  }
}

main().then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (error) => fail(error && error.message ? error.message : String(error)),
);
