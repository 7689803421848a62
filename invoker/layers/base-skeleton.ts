import { PAYLOAD_GID, PAYLOAD_UID_BASE, PAYLOAD_UID_COUNT, payloadUserName } from '../container/payload-ids.js';

/** Where things are inside the base layer, for the launcher, the pool and the shim to agree on. */
export const BASE_PATHS = {
  node: '/usr/bin/node',
  shim: '/opt/tsfn/shim.cjs',
  /** Runs the shim beside it from the code cache below, when there is one (invoker/runtime/shim-boot.ts). */
  shimBoot: '/opt/tsfn/boot.cjs',
  /** Not in the base layer: in the code-cache layer over it (code-cache-layer.ts). */
  shimCodeCache: '/opt/tsfn/shim.cjs.cache',
  /** Mount point of a function's code layer. */
  task: '/var/task',
  caCertificates: '/etc/ssl/certs/ca-certificates.crt',
} as const;

/** Directories every container expects, beyond the parents of the layer's files. */
export const SKELETON_DIRECTORIES: Readonly<Record<string, number>> = {
  '/': 0o755,
  '/dev': 0o755,
  '/opt/tsfn': 0o755,
  '/proc': 0o755,
  '/sys': 0o755,
  '/tmp': 0o1777,
  '/var/task': 0o755,
};

/**
 * The minimal /etc: enough for getpwuid, getaddrinfo("localhost") and
 * friends to answer from files. No resolver: containers have loopback only
 * unless given egress, which brings its own resolv.conf.
 */
export const SKELETON_FILES: Readonly<Record<string, string>> = {
  '/etc/passwd': `root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${payloadUsers()}`,
  '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n',
  '/etc/resolv.conf': '',
};

/** An account for every uid payloads run as (invoker/container/payload-ids.ts), home /tmp as their HOME. */
function payloadUsers(): string {
  let lines = '';
  for (let uid = PAYLOAD_UID_BASE; uid < PAYLOAD_UID_BASE + PAYLOAD_UID_COUNT; uid++) {
    lines += `${payloadUserName(uid)}:x:${uid}:${PAYLOAD_GID}:tsfn function:/tmp:/usr/sbin/nologin\n`;
  }
  return lines;
}
