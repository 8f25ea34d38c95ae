// CheckRequest bytes → the part of the proto-loader object that decode.ts reads, straight from
// the protobuf wire format, skipping every field a decision never looks at. On anything unusual
// it gives up (undefined) and the generic deserializer decides; it never decides a request.

import type { WireCheckRequest } from './decode.js';
import { GIVE_UP, Reader, VARINT } from './wire-reader.js';

/*
 * What is read (field numbers of Envoy's API, proto/envoy/service/auth/v3/*.proto):
 *   CheckRequest.attributes 1 → AttributeContext { source 1, destination 2, request 4,
 *   context_extensions 10 }; Peer { address 1, principal 4, certificate 5 }; Address
 *   { socket_address 1 { address 2, port_value 3 }, pipe 2 { path 1 } }; Request { http 2 };
 *   HttpRequest { id 1, method 2, headers 3, path 4, host 5, header_map 13 { headers 1
 *   { key 1, value 2, raw_value 3 } } }.
 * The result equals what protobufjs builds for the same bytes (a test holds them equal): a
 * repeated message field replaces the earlier one, a repeated map key overwrites in place, strings
 * are decoded by the same UTF-8 decoder. It gives up where protobufjs is lenient or odd: a
 * known field with another wire type, at any depth (wire-reader.ts checks the messages it passes
 * over as protobufjs would decode them), a length past its message's end, a varint wider than
 * 32 bits where protobufjs reads 32, groups, field number 0, an Any.
 */

interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Uint8Array;
}
type Http = NonNullable<NonNullable<NonNullable<WireCheckRequest['attributes']>['request']>['http']>;
type Attributes = NonNullable<WireCheckRequest['attributes']>;
type Peer = NonNullable<Attributes['source']>;
type Address = NonNullable<Peer['address']>;

/**
 * One map<string, string> entry into a Map, as protobufjs assigns it into an object: a missing
 * key or value is '', a repeated key overwrites in place. Names that start with a digit give up,
 * because an object lists integer-like names first and a Map would not.
 */
function mapEntry(r: Reader, end: number, into: Map<string, string>): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 1) key = r.string(tag & 7, end);
    else if (field === 2) value = r.string(tag & 7, end);
    else r.other('StringEntry', tag, end);
  }
  if (key.length > 0 && (key.charCodeAt(0) - 48) >>> 0 < 10) throw GIVE_UP;
  into.set(key, value);
}

function headerValue(r: Reader, end: number): HeaderValue {
  const h: HeaderValue = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 1) h.key = r.string(tag & 7, end);
    else if (field === 2) h.value = r.string(tag & 7, end);
    else if (field === 3) h.raw_value = r.bytes(tag & 7, end);
    else r.other('HeaderValue', tag, end);
  }
  return h;
}

function headerMap(r: Reader, end: number): NonNullable<Http['header_map']> {
  const list: { headers?: HeaderValue[] } = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === 1) (list.headers ??= []).push(headerValue(r, r.length(tag & 7, end)));
    else r.other('HeaderMap', tag, end);
  }
  return list;
}

function http(r: Reader, end: number): Http {
  const h: Http = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: h.id = r.string(wire, end); break;
      case 2: h.method = r.string(wire, end); break;
      case 3: mapEntry(r, r.length(wire, end), (h.headers ??= new Map()) as Map<string, string>); break;
      case 4: h.path = r.string(wire, end); break;
      case 5: h.host = r.string(wire, end); break;
      case 13: h.header_map = headerMap(r, r.length(wire, end)); break;
      default: r.other('HttpRequest', tag, end);
    }
  }
  return h;
}

function socketAddress(r: Reader, end: number): NonNullable<Address['socket_address']> {
  const s: NonNullable<Address['socket_address']> = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 2) s.address = r.string(tag & 7, end);
    else if (field === 3) {
      if ((tag & 7) !== VARINT) throw GIVE_UP;
      s.port_value = r.varint(end);
    } else r.other('SocketAddress', tag, end);
  }
  return s;
}

function pipe(r: Reader, end: number): NonNullable<Address['pipe']> {
  const p: NonNullable<Address['pipe']> = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === 1) p.path = r.string(tag & 7, end);
    else r.other('Pipe', tag, end);
  }
  return p;
}

function address(r: Reader, end: number): Address {
  const a: Address = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 1) a.socket_address = socketAddress(r, r.length(tag & 7, end));
    else if (field === 2) a.pipe = pipe(r, r.length(tag & 7, end));
    else r.other('Address', tag, end);
  }
  return a;
}

function peer(r: Reader, end: number): Peer {
  const p: Peer = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 1) p.address = address(r, r.length(tag & 7, end));
    else if (field === 4) p.principal = r.string(tag & 7, end);
    else if (field === 5) p.certificate = r.string(tag & 7, end);
    else r.other('Peer', tag, end);
  }
  return p;
}

function attributes(r: Reader, end: number): Attributes {
  const a: Attributes = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: a.source = peer(r, r.length(wire, end)); break;
      case 2: a.destination = peer(r, r.length(wire, end)); break;
      case 4: a.request = requestAttributes(r, r.length(wire, end)); break;
      case 10: mapEntry(r, r.length(wire, end), (a.context_extensions ??= new Map()) as Map<string, string>); break;
      default: r.other('AttributeContext', tag, end);
    }
  }
  return a;
}

function requestAttributes(r: Reader, end: number): NonNullable<Attributes['request']> {
  const out: NonNullable<Attributes['request']> = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === 2) out.http = http(r, r.length(tag & 7, end));
    else r.other('Request', tag, end);
  }
  return out;
}

/** The fields decode.ts reads, or undefined when the generic deserializer should decide. */
export function readCheckRequest(bytes: Buffer): WireCheckRequest | undefined {
  const r = new Reader(bytes);
  const out: WireCheckRequest = {};
  try {
    const end = bytes.length;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag >>> 3 === 1) out.attributes = attributes(r, r.length(tag & 7, end));
      else r.other('CheckRequest', tag, end);
    }
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
  return out;
}
