import { closeSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Closes descriptors this process inherited beyond stdio and the control
 * channel (0-3), so function code cannot use them. Node marks inherited
 * descriptors close-on-exec at start, so that flag cannot tell them apart from
 * its own; their kind can: Node's own are anonymous inodes (epoll, eventfd,
 * io_uring) and pipes whose both ends it holds (signal and async wake-ups),
 * while a socket, a file, or a lone pipe end came from outside.
 * Returns the descriptors closed.
 */
export function closeInheritedFds(lastKept = 3): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const targets = new Map<number, string>();
  for (const name of names) {
    const fd = Number(name);
    if (fd <= lastKept) continue;
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // The descriptor readdir itself used, already gone.
    }
  }
  const pipeEnds = new Map<string, number>();
  for (const target of targets.values()) {
    if (target.startsWith('pipe:')) pipeEnds.set(target, (pipeEnds.get(target) ?? 0) + 1);
  }
  const closed: number[] = [];
  for (const [fd, target] of targets) {
    const foreign = target.startsWith('socket:') || target.startsWith('/') || pipeEnds.get(target) === 1;
    if (!foreign) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Closed meanwhile: the goal is met.
    }
  }
  return closed;
}
