#!/usr/bin/env node
// Server reflection from a client that has no .proto file at all: lists the gateway's services with
// grpc-js-reflection-client over mutual TLS, loads exchange.v1.GatewayService from the descriptors
// the server sends, and calls Ping with it.
//
//   node reflection.js <gateway address> <certificate directory>
//
// Exits 0 and prints the services and the Ping answer; non-zero with a message on any error.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.code !== 'DEP0123') { // an IP-address target passed on as TLS ServerName (see flow.js)
    console.warn(`warning: ${warning.name}: ${warning.message}`);
  }
});

async function main() {
  const [address, certificates] = process.argv.slice(2);
  if (!address || !certificates) {
    throw new Error('usage: node reflection.js <gateway address> <certificate directory>');
  }
  const host = address.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const read = (name) => fs.readFileSync(path.join(certificates, name));
  const credentials = grpc.credentials.createSsl(read('ca.crt'), read('coa.key'), read('coa.crt'));

  const reflection = new GrpcReflection(host, credentials);
  const services = await reflection.listServices();
  console.log(`services: ${services.join(', ')}`);
  if (!services.includes('exchange.v1.GatewayService')) {
    throw new Error('exchange.v1.GatewayService is not listed');
  }
  const descriptor = await reflection.getDescriptorBySymbol('exchange.v1.GatewayService');
  const v1 = descriptor.getPackageObject({ keepCase: true, enums: String, longs: String }).exchange.v1;
  const gateway = new v1.GatewayService(host, credentials);
  const pong = await new Promise((resolve, reject) => {
    gateway.Ping({}, { deadline: Date.now() + 15_000 }, (error, response) => (error ? reject(error) : resolve(response)));
  });
  console.log(`Ping by reflection: ${pong.organisation_id} (${pong.role})`);
  gateway.close();
}

const watchdog = setTimeout(() => { console.error('FAILED: no answer within 60 s'); process.exit(1); }, 60_000);
main().then(
  () => { clearTimeout(watchdog); process.exit(0); },
  (error) => { console.error(`FAILED: ${error && error.message ? error.message : String(error)}`); process.exit(1); },
);
